// Sends each sender's cursor update at `hz`, each sender at its own random phase,
// from one 1 ms timer per process instead of one timer per sender (10 000 timers
// at 20 Hz cost more than the sends). The period is rounded to whole ms, so the
// rates used by the scenarios (0.2, 0.5, 1, 2, 5, 10, 20 Hz) are exact.
//
// The cursor does a random walk over a 1280×720 canvas and is sent as
// pixel ÷ size (x = 523/1280 = 0.40859375): realistic values for the
// bytes-per-update figure, unlike round numbers such as 0.5.

const CANVAS_W = 1280;
const CANVAS_H = 720;
/** Largest cursor step per update, pixels. */
const STEP_PX = 12;

export function createSendSchedule({ senders, hz, startUs, endUs, nowUs, send }) {
  const periodMs = Math.max(1, Math.round(1000 / hz));
  const slots = Array.from({ length: periodMs }, () => []);
  for (const s of senders) {
    s.px = Math.floor(Math.random() * CANVAS_W);
    s.py = Math.floor(Math.random() * CANVAS_H);
    slots[Math.floor(Math.random() * periodMs)].push(s);
  }
  let nextMs = 0; // next whole ms since startUs not yet processed
  let timer = null;
  const tick = () => {
    const now = nowUs();
    const dueMs = Math.floor((Math.min(now, endUs) - startUs) / 1000);
    for (; nextMs <= dueMs; nextMs++) {
      const scheduledUs = startUs + nextMs * 1000;
      for (const s of slots[nextMs % periodMs]) {
        if (s.ws.closed) continue;
        s.px = Math.min(CANVAS_W - 1, Math.max(0, s.px + Math.round((Math.random() * 2 - 1) * STEP_PX)));
        s.py = Math.min(CANVAS_H - 1, Math.max(0, s.py + Math.round((Math.random() * 2 - 1) * STEP_PX)));
        const z = s.walkZone; // views runs (L1): the walk is mapped into this part of the canvas
        const x = s.px / CANVAS_W;
        const y = s.py / CANVAS_H;
        send(s, z ? { x: z.x0 + x * (z.x1 - z.x0), y: z.y0 + y * (z.y1 - z.y0) } : { x, y }, scheduledUs);
      }
    }
    if (now >= endUs) return stop();
    timer = setTimeout(tick, 1);
  };
  const stop = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  timer = setTimeout(tick, Math.max(0, (startUs - nowUs()) / 1000));
  return { stop, periodMs };
}
