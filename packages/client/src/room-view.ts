// A room session's view (PROTOCOL.md §8): what this client asked to be sent of a
// large room, kept across reconnects (declared again after every welcome), and
// the room's occupancy as the server last reported it.
import {
  type ClientMessage,
  DEFAULT_VIEW_CAP,
  DEFAULT_VIEW_FIELD,
  MessageType,
  type OccupancyMessage,
  ProtocolError,
  type Rect,
  type ViewSpec,
  validateView,
} from "@collabblocks/protocol";
import type { Occupancy, PresenceError, ViewInput } from "./types.js";

export interface RoomView {
  /** Sets (or with null clears) the view; returns the refusal instead of applying a bad one. */
  set(input: ViewInput | null, send: (msg: ClientMessage) => boolean): PresenceError | undefined;
  /** Declares the view on a fresh connection (after its welcome). */
  declare(send: (msg: ClientMessage) => boolean): void;
  get(): ViewSpec | null;
  /** Records an OCCUPANCY message; returns the new occupancy. */
  occupancy(msg: OccupancyMessage): Occupancy;
  getOccupancy(): Occupancy | null;
}

/** A full view from what the app gave: defaults for what it left out, then §8's rules. Throws ProtocolError. */
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

export function createRoomView(initial: ViewInput | null | undefined): RoomView {
  let view: ViewSpec | null = initial == null ? null : toViewSpec(initial);
  let occupancy: Occupancy | null = null;
  return {
    set(input, send) {
      let next: ViewSpec | null;
      try {
        next = input === null ? null : toViewSpec(input);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        return { code: err.code, message: err.message, fatal: false };
      }
      const had = view;
      view = next;
      if (next !== null || had !== null) send({ type: MessageType.SET_VIEW, view: next });
      return undefined;
    },
    declare(send) {
      if (view !== null) send({ type: MessageType.SET_VIEW, view });
    },
    get: () => view,
    occupancy(msg) {
      occupancy = Object.freeze({ connections: msg.connections, users: msg.users, omitted: msg.omitted });
      return occupancy;
    },
    getOccupancy: () => occupancy,
  };
}
