// A room session's view (PROTOCOL.md §8): what this client asked to be sent of a
// large room, kept across reconnects (declared again after every welcome), and
// the room's occupancy as the server last reported it.
import {
  type ClientMessage,
  DEFAULT_VIEW_CAP,
  DEFAULT_VIEW_FIELD,
  encodeViewParam,
  MessageType,
  type OccupancyMessage,
  ProtocolError,
  type Rect,
  VIEW_RATE_PER_SECOND,
  type ViewSpec,
  validateView,
} from "@collabblocks/protocol";
import { createTimerSlot, type Timers } from "./timers.js";
import type { Occupancy, PresenceError, ViewInput } from "./types.js";

/** The presence field holding `{x, y}` when a view names none (the ready-made cursors read it too). */
export { DEFAULT_VIEW_FIELD };

/**
 * View changes go out at most this often, ms: the server's view bucket refills at
 * VIEW_RATE_PER_SECOND, so a viewport bound to a 60 Hz pan sends its latest
 * window every 100 ms instead of drawing RATE_LIMITED.
 */
export const VIEW_SEND_INTERVAL_MS = 1000 / VIEW_RATE_PER_SECOND;

export interface RoomView {
  /** Sets (or with null clears) the view; returns the refusal instead of applying a bad one. */
  set(input: ViewInput | null): PresenceError | undefined;
  /** The view as a connect-URL parameter (declared at join: the join snapshot holds only it). */
  param(): string | undefined;
  /** After a welcome: the URL declared the view; send what changed since the URL was made. */
  declare(): void;
  dispose(): void;
  get(): ViewSpec | null;
  /** Records an OCCUPANCY message; returns the new occupancy. */
  occupancy(msg: OccupancyMessage): Occupancy;
  /** A snapshot replaced what this client holds: the server reports again if it reports at all. */
  snapshotApplied(): void;
  /**
   * The server's last report; without one (a connection that sees everyone gets no
   * OCCUPANCY: it holds the whole room), counted from what this client holds. Null before joining.
   */
  getOccupancy(): Occupancy | null;
  /** Recounts a local occupancy; returns it when it changed (for the `occupancy` event). */
  recount(): Occupancy | undefined;
}

/** A full view from what the app gave: defaults for what it left out, then PROTOCOL.md §8's rules. Throws ProtocolError. */
export function toViewSpec(input: ViewInput): ViewSpec {
  const rect: Rect | null = input.rect ?? null;
  return validateView({
    everyone: input.everyone ?? false,
    rect: rect === null ? null : { x0: rect.x0, y0: rect.y0, x1: rect.x1, y1: rect.y1 },
    field: input.field ?? DEFAULT_VIEW_FIELD,
    pinned: [...(input.pinned ?? [])],
    cap: input.cap ?? DEFAULT_VIEW_CAP,
    roster: input.roster ?? 0,
  });
}

/** Who this client holds: itself (once joined) and its others. */
export interface Held {
  readonly selfUserId: string | null;
  readonly others: readonly { readonly userId: string }[];
}

function count(held: Held): Occupancy | null {
  if (held.selfUserId === null) return null;
  const users = new Set(held.others.map((o) => o.userId));
  users.add(held.selfUserId);
  return Object.freeze({ connections: held.others.length + 1, users: users.size, omitted: 0 });
}

export function createRoomView(
  initial: ViewInput | null | undefined,
  held: () => Held,
  timers: Timers,
  send: (msg: ClientMessage) => boolean,
): RoomView {
  let view: ViewSpec | null = initial == null ? null : toViewSpec(initial);
  /** What the server was last told (undefined: nothing on this connection yet). */
  let declared: ViewSpec | null | undefined;
  let lastSend = Number.NEGATIVE_INFINITY;
  /** The view the last connect URL carried. */
  let inUrl: ViewSpec | null = null;
  const later = createTimerSlot(timers);

  function push(): void {
    if (view === declared) return;
    const wait = lastSend + VIEW_SEND_INTERVAL_MS - timers.now();
    if (wait > 0) {
      if (!later.active) later.start(wait, push);
      return;
    }
    if (!send({ type: MessageType.SET_VIEW, view })) return; // not connected: declared on the next welcome
    declared = view;
    lastSend = timers.now();
  }
  let reported: Occupancy | null = null;
  let local: Occupancy | null = null;
  return {
    set(input) {
      try {
        view = input === null ? null : toViewSpec(input);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        return { code: err.code, message: err.message, fatal: false };
      }
      if (declared !== undefined) push();
      return undefined;
    },
    param() {
      inUrl = view;
      return view === null ? undefined : encodeViewParam(view);
    },
    declare() {
      // The connection starts from the view its URL carried (or the room's default).
      declared = inUrl;
      lastSend = Number.NEGATIVE_INFINITY;
      later.clear();
      push();
    },
    dispose() {
      later.clear();
    },
    get: () => view,
    occupancy(msg) {
      reported = Object.freeze({ connections: msg.connections, users: msg.users, omitted: msg.omitted });
      return reported;
    },
    snapshotApplied() {
      reported = null;
    },
    getOccupancy() {
      if (reported !== null) return reported;
      local ??= count(held());
      return local;
    },
    recount() {
      if (reported !== null) return undefined;
      const next = count(held());
      const same =
        next === local ||
        (next !== null &&
          local !== null &&
          next.connections === local.connections &&
          next.users === local.users);
      if (same) return undefined;
      local = next;
      return next ?? undefined;
    },
  };
}
