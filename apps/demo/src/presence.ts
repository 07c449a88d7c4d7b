// The demo's presence shape and its typed hooks.
import type { Json } from "@collabblocks/client";
import { createPresenceHooks } from "@collabblocks/react";

export interface DemoPresence {
  /** Normalised to the canvas (0–1 on both axes); null while the pointer is outside it. */
  cursor?: { x: number; y: number } | null;
  /** Free text, ≤ 64 characters (the server's limit for `status`). */
  status?: string;
}

/** Server limit for `status`, characters (PROTOCOL.md §6). */
export const MAX_STATUS_LENGTH = 64;

export const INITIAL_PRESENCE: DemoPresence = { cursor: null, status: "" };

export const {
  RoomProvider,
  useMyPresence,
  useOccupancy,
  useOther,
  useOthersConnectionIds,
  useRoom,
  useSelf,
  useStatus,
  useView,
} = createPresenceHooks<DemoPresence>();

export interface PeerLabel {
  readonly name: string;
  readonly color: string;
}

const FALLBACK_COLOR = "#37474f";

/** Name and colour from a user's token `info` (set by dev-auth); anything else gets a neutral label. */
export function peerLabel(info: Json | undefined, userId: string): PeerLabel {
  const i = (typeof info === "object" && info !== null && !Array.isArray(info) ? info : {}) as Record<
    string,
    Json
  >;
  const name = typeof i.name === "string" && i.name.length > 0 ? i.name : userId;
  const color = typeof i.color === "string" && /^#[0-9a-f]{6}$/i.test(i.color) ? i.color : FALLBACK_COLOR;
  return { name, color };
}
