// A frame source for tests of the glide (ui/cursor-motion.ts): a clock and a frame queue advanced by hand.
import type { FrameSource } from "../ui/cursor-motion.js";

/** A clock and a frame queue the test advances by hand. */
export function createFakeFrames() {
  let now = 0;
  let queued: (() => void)[] = [];
  const frames: FrameSource = {
    now: () => now,
    request(cb) {
      queued.push(cb);
      return cb;
    },
    cancel(handle) {
      queued = queued.filter((cb) => cb !== handle);
    },
  };
  return {
    frames,
    /** Moves the clock by `ms` and runs the frames queued before the move. */
    tick(ms: number) {
      now += ms;
      const run = queued;
      queued = [];
      for (const cb of run) cb();
    },
    pending: () => queued.length,
  };
}
