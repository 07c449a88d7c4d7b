// Views (PROTOCOL.md §8 "Views and occupancy"): what one connection asks to be
// sent of a room. In a large room nobody can look at every member, so a client
// names a window of the room's position space, users it always wants (pinned), a
// cap, and a roster sample; the server sends it only the entries its view selects.
// Pure rules, shared by the server (which filters) and the SDK (which validates
// before sending).
import { ProtocolError } from "./errors.js";
import type { PresenceData } from "./presence-types.js";

/** An axis-aligned window of the room's position space, bounds inclusive. */
export interface Rect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export interface ViewSpec {
  /** Send every member (the small-room behaviour); rect, cap and roster are then ignored. */
  readonly everyone: boolean;
  /** The spatial window; null = no spatial selection (pinned, roster and self only). */
  readonly rect: Rect | null;
  /** Presence field holding the position `{x, y}` (finite numbers). */
  readonly field: string;
  /** Users whose connections are always sent, wherever they are. */
  readonly pinned: readonly string[];
  /** Most entries selected by the window; the most recently active win. */
  readonly cap: number;
  /** The first `roster` members by join order are always sent (an avatar stack). */
  readonly roster: number;
}

/** Position field when a view names none. */
export const DEFAULT_VIEW_FIELD = "cursor";
/** Window entries per view when a view names no cap. */
export const DEFAULT_VIEW_CAP = 100;
/** Largest cap a view may ask for. */
export const MAX_VIEW_CAP = 1000;
/** Most pinned users per view. */
export const MAX_VIEW_PINNED = 64;
/** Largest roster sample per view. */
export const MAX_VIEW_ROSTER = 100;
/** Roster sample of the default view of a large room (a connection that declared no view). */
export const DEFAULT_LARGE_ROOM_ROSTER = 20;
/** Longest position field name, characters. */
export const MAX_VIEW_FIELD_LENGTH = 64;
/**
 * Hysteresis: an entry the connection already holds stays until it is outside the
 * window grown by this fraction of its width and height on every side, so a cursor
 * on the border does not flap in and out.
 */
export const VIEW_MARGIN_FRACTION = 0.1;
/** View changes per second per connection (sustained), and the burst above it. */
export const VIEW_RATE_PER_SECOND = 10;
export const VIEW_RATE_BURST = 10;

/** A room at or below this many connections sends everyone to connections without a view. */
export const DEFAULT_LARGE_ROOM_THRESHOLD = 1000;

/** What a connection that declared nothing gets in a small room: everyone. */
export const EVERYONE_VIEW: ViewSpec = {
  everyone: true,
  rect: null,
  field: DEFAULT_VIEW_FIELD,
  pinned: [],
  cap: DEFAULT_VIEW_CAP,
  roster: 0,
};

/** What a connection that declared nothing gets in a large room: roster sample and occupancy. */
export const LARGE_ROOM_DEFAULT_VIEW: ViewSpec = {
  everyone: false,
  rect: null,
  field: DEFAULT_VIEW_FIELD,
  pinned: [],
  cap: DEFAULT_VIEW_CAP,
  roster: DEFAULT_LARGE_ROOM_ROSTER,
};

function invalid(message: string): never {
  throw new ProtocolError("INVALID_VIEW", message);
}

function checkCount(value: number, max: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max)
    invalid(`${what} must be an integer 0–${max}`);
}

/** Throws ProtocolError("INVALID_VIEW") unless the view is well-formed. */
export function validateView(view: ViewSpec): ViewSpec {
  const r = view.rect;
  if (r !== null) {
    for (const v of [r.x0, r.y0, r.x1, r.y1]) {
      if (typeof v !== "number" || !Number.isFinite(v)) invalid("view bounds must be finite numbers");
    }
    if (r.x0 > r.x1 || r.y0 > r.y1) invalid("view bounds are inverted (x0 > x1 or y0 > y1)");
  }
  if (view.field.length === 0 || view.field.length > MAX_VIEW_FIELD_LENGTH) {
    invalid(`position field must be 1–${MAX_VIEW_FIELD_LENGTH} characters`);
  }
  if (view.pinned.length > MAX_VIEW_PINNED) invalid(`at most ${MAX_VIEW_PINNED} pinned users`);
  for (const u of view.pinned) {
    if (typeof u !== "string" || u.length === 0 || u.length > 256)
      invalid("pinned user ids are 1–256 characters");
  }
  checkCount(view.cap, MAX_VIEW_CAP, "cap");
  checkCount(view.roster, MAX_VIEW_ROSTER, "roster");
  return view;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** The position a state holds in `field`, or undefined (absent, null, not finite numbers). */
export function positionOf(state: PresenceData, field: string): Point | undefined {
  const v = Object.hasOwn(state, field) ? state[field] : undefined;
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  const { x, y } = v as { x?: unknown; y?: unknown };
  if (typeof x !== "number" || typeof y !== "number" || !Number.isFinite(x) || !Number.isFinite(y)) {
    return undefined;
  }
  return { x, y };
}

/** The window grown by the hysteresis margin on every side. */
export function withMargin(r: Rect, fraction = VIEW_MARGIN_FRACTION): Rect {
  const mx = (r.x1 - r.x0) * fraction;
  const my = (r.y1 - r.y0) * fraction;
  return { x0: r.x0 - mx, y0: r.y0 - my, x1: r.x1 + mx, y1: r.y1 + my };
}

export function rectContains(r: Rect, p: Point): boolean {
  return p.x >= r.x0 && p.x <= r.x1 && p.y >= r.y0 && p.y <= r.y1;
}

export function rectsOverlap(a: Rect, b: Rect): boolean {
  return a.x0 <= b.x1 && b.x0 <= a.x1 && a.y0 <= b.y1 && b.y0 <= a.y1;
}
