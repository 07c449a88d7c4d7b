// A local model of the server's per-connection token bucket (docs/ARCHITECTURE.md#the-edge: 20/s,
// burst 5, from the welcome). The SDK sends a patch only when this model has a
// token, so a well-behaved client is never RATE_LIMITED.
//
// Safety margin: the server measures arrival times, which network jitter can
// compress (two frames sent 50 ms apart may arrive 10 ms apart). The model keeps
// one token in reserve (capacity burst − 1), which absorbs up to 1000/rate ms of
// compression (50 ms at 20/s). With burst 5 a short gesture still goes out at
// 60 Hz for 5 frames (4 tokens plus refill), then 20 Hz. For a server burst below
// 2 there is no token to spare, so the model refills 20 % slower instead.

export const RESERVE_TOKENS = 1;
const SLOW_REFILL = 0.8;

export interface RateBudget {
  /** Takes a token if one is available now. */
  take(now: number): boolean;
  /** When the next token will be available (≤ now if one is). */
  readyAt(now: number): number;
  /** Tokens available now (tests). */
  tokens(now: number): number;
}

/** Starts full: the server's bucket is full when the connection opens, before the welcome. */
export function createRateBudget(ratePerSecond: number, burst: number, now: number): RateBudget {
  if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError("rate budget needs rate > 0 and burst ≥ 1");
  const capacity = burst >= 2 ? burst - RESERVE_TOKENS : burst;
  const perMs = (burst >= 2 ? ratePerSecond : ratePerSecond * SLOW_REFILL) / 1000;
  let tokens = capacity;
  let last = now;
  const refill = (t: number) => {
    if (t > last) {
      tokens = Math.min(capacity, tokens + (t - last) * perMs);
      last = t;
    }
  };
  return {
    take(t) {
      refill(t);
      // 1e-9 tolerates float rounding of the refill sum; far below any jitter.
      if (tokens < 1 - 1e-9) return false;
      tokens = Math.max(0, tokens - 1);
      return true;
    },
    readyAt(t) {
      refill(t);
      return tokens >= 1 - 1e-9 ? t : t + (1 - tokens) / perMs;
    },
    tokens(t) {
      refill(t);
      return tokens;
    },
  };
}
