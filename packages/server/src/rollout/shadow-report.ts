// The shadow mirror's log of staging trouble (shadow.ts): a staging outage
// touches every mirrored connection at once, so each kind of event is logged at
// most once per SHADOW_LOG_INTERVAL_MS, with how many were suppressed since.
// Callers pass no tokens, URLs or presence (docs/OPERATIONS.md#shadow-traffic).
import type { Logger } from "pino";
import type { Clock } from "../ops/clock.js";

/** Each kind of staging trouble is logged at most once per this, ms (with the count suppressed). */
export const SHADOW_LOG_INTERVAL_MS = 30_000;

export type ShadowReport = (event: string, detail: Readonly<Record<string, unknown>>) => void;

export function createShadowReport(logger: Logger, clock: Clock): ShadowReport {
  const logged = new Map<string, { at: number; suppressed: number }>();
  return (event, detail) => {
    const t = clock.now();
    const last = logged.get(event);
    if (last && t - last.at < SHADOW_LOG_INTERVAL_MS) {
      last.suppressed++;
      return;
    }
    logger.warn({ ...detail, suppressed: last?.suppressed ?? 0 }, `shadow: ${event}`);
    logged.set(event, { at: t, suppressed: 0 });
  };
}
