// Measurement hooks for the browser end-to-end test (and curious humans in the
// console): `window.__presence` records when this tab sent each cursor position and
// when each peer's cursor position reached the DOM. Times are wall-clock ms
// (`performance.timeOrigin + performance.now()`, sub-ms resolution), so samples from
// two tabs of one browser can be subtracted: sender's `sent.t` → receiver's
// `rendered.t` is the cursor delay across tabs. Samples are matched by their exact
// coordinates (presence values round-trip exactly), so nothing extra goes on the wire.
import type { Status } from "@collabblocks/client";

export interface CursorSample {
  readonly x: number;
  readonly y: number;
  /** Wall-clock ms, sub-ms resolution. */
  readonly t: number;
}

export interface RenderSample extends CursorSample {
  readonly connectionId: string;
}

export interface PresenceProbe {
  readonly room: string;
  connectionId: string | null;
  status: Status;
  /** My cursor positions, stamped when handed to `updatePresence`. */
  readonly sent: CursorSample[];
  /** Peers' cursor positions, stamped when committed to the DOM (layout effect). */
  readonly rendered: RenderSample[];
}

/** Samples kept per list: enough for any test, bounded for a demo tab left open all day. */
export const MAX_SAMPLES = 1000;

declare global {
  interface Window {
    __presence?: PresenceProbe;
  }
}

export function wallClockNow(): number {
  return performance.timeOrigin + performance.now();
}

export function recordSample<T>(list: T[], sample: T): void {
  list.push(sample);
  if (list.length > MAX_SAMPLES) list.splice(0, list.length - MAX_SAMPLES);
}

export function createProbe(room: string): PresenceProbe {
  return { room, connectionId: null, status: "initial", sent: [], rendered: [] };
}
