// How many avatars an AvatarStack draws and what its "+N" says. In a small room the SDK holds
// everyone, so the users view is the truth; in a large room it holds only a view's worth
// (PROTOCOL.md §8) and the server's occupancy count says how many people there really are.
import type { Occupancy } from "@collabblocks/client";

export interface StackCount {
  /** Avatars drawn. */
  readonly shown: number;
  /** People not drawn ("+N"; 0 draws no badge). */
  readonly more: number;
  /** Other people in the room. */
  readonly total: number;
}

/**
 * `held`: users the client holds (room.getUsers()); `occupancy.users` counts distinct users
 * *including me*; `meAmongHeld`: my user id is among the held users (my other tab), in which
 * case occupancy already counts that user once, as me.
 */
export function stackCount(
  held: number,
  occupancy: Occupancy | null,
  meAmongHeld: boolean,
  max: number,
): StackCount {
  if (!Number.isInteger(max) || max < 0) throw new RangeError(`max must be an integer ≥ 0, got ${max}`);
  const reported = occupancy === null ? 0 : occupancy.users - 1 + (meAmongHeld ? 1 : 0);
  const total = Math.max(held, reported);
  // A lone overflow badge would take the place of the avatar it hides: draw that avatar instead.
  const shown = total === max + 1 && held === total ? total : Math.min(held, max);
  return { shown, more: total - shown, total };
}
