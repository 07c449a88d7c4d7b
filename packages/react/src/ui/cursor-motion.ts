// Smooth cursors: each peer's cursor glides from where it is drawn to its newest position
// instead of jumping, so a 20 Hz stream of positions looks like a 60 Hz pointer. Pure
// timing rules (glidePosition, glideDuration) plus a small animator over an injected clock
// and frame source, so tests drive frames instead of waiting for them (CONTRIBUTING.md#time).
//
// Linear, not eased: positions arrive at a steady rate, and a glide that lasts as long as
// the gap between two positions keeps the cursor at the pointer's own speed; an ease-out
// would make it pulse at every update.

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Where time comes from and how the next frame is asked for (browser: performance.now + requestAnimationFrame). */
export interface FrameSource {
  now(): number;
  request(callback: () => void): unknown;
  cancel(handle: unknown): void;
}

/** Longest glide, ms: after a pause the next position arrives late, and the cursor must not crawl to it. */
export const MAX_GLIDE_MS = 120;

/** The browser's frame source; a 16 ms timer where there is no requestAnimationFrame (SSR, old test DOMs). */
export function browserFrames(): FrameSource {
  const raf = typeof requestAnimationFrame === "function";
  return {
    now: () => (typeof performance !== "undefined" ? performance.now() : Date.now()),
    request: (cb) => (raf ? requestAnimationFrame(cb) : setTimeout(cb, 16)),
    cancel: (h) =>
      raf ? cancelAnimationFrame(h as number) : clearTimeout(h as ReturnType<typeof setTimeout>),
  };
}

/** The position at `now` of a glide from `from` (begun at `start`) to `to` lasting `durationMs`. */
export function glidePosition(from: Point, to: Point, start: number, durationMs: number, now: number): Point {
  if (durationMs <= 0 || now >= start + durationMs) return to;
  if (now <= start) return from;
  const t = (now - start) / durationMs;
  return { x: from.x + (to.x - from.x) * t, y: from.y + (to.y - from.y) * t };
}

/**
 * How long to glide to a new position: the time since the previous one (the sender's own
 * pace), at most MAX_GLIDE_MS; 0 (jump) for the first position and under reduced motion.
 */
export function glideDuration(
  sincePrevious: number | undefined,
  reducedMotion: boolean,
  maxMs = MAX_GLIDE_MS,
): number {
  if (reducedMotion || sincePrevious === undefined) return 0;
  return Math.min(Math.max(0, sincePrevious), maxMs);
}

interface Track {
  from: Point;
  to: Point;
  start: number;
  duration: number;
  /** When the latest position arrived. */
  targetAt: number;
}

export interface CursorMotion {
  /** A new position for `id`; the first one (and every one under reduced motion) is drawn at once. */
  target(id: string, to: Point): void;
  /** Forgets `id` (its cursor is gone). */
  remove(id: string): void;
  /** Where `id` is drawn now. */
  position(id: string): Point | undefined;
  /** Stops the frame loop. */
  dispose(): void;
}

export interface CursorMotionOptions {
  readonly frames: FrameSource;
  /** Read at every new position, so a change of the OS setting applies to the next move. */
  readonly reducedMotion: () => boolean;
  /** Draws `id` at `point`. */
  readonly draw: (id: string, point: Point) => void;
  readonly maxGlideMs?: number;
}

export function createCursorMotion(options: CursorMotionOptions): CursorMotion {
  const { frames, draw } = options;
  const tracks = new Map<string, Track>();
  const moving = new Set<string>();
  let pending: unknown = null;

  const at = (track: Track, now: number) =>
    glidePosition(track.from, track.to, track.start, track.duration, now);

  function frame(): void {
    pending = null;
    const now = frames.now();
    for (const id of moving) {
      const track = tracks.get(id)!;
      draw(id, at(track, now));
      if (now >= track.start + track.duration) moving.delete(id);
    }
    if (moving.size > 0) pending = frames.request(frame);
  }

  return {
    target(id, to) {
      const now = frames.now();
      const track = tracks.get(id);
      const duration = glideDuration(
        track === undefined ? undefined : now - track.targetAt,
        options.reducedMotion(),
        options.maxGlideMs,
      );
      const from = track === undefined ? to : at(track, now);
      tracks.set(id, { from, to, start: now, duration, targetAt: now });
      if (duration === 0) {
        moving.delete(id);
        draw(id, to);
        return;
      }
      moving.add(id);
      if (pending === null) pending = frames.request(frame);
    },
    remove(id) {
      tracks.delete(id);
      moving.delete(id);
    },
    position(id) {
      const track = tracks.get(id);
      return track === undefined ? undefined : at(track, frames.now());
    },
    dispose() {
      if (pending !== null) frames.cancel(pending);
      pending = null;
      moving.clear();
      tracks.clear();
    },
  };
}
