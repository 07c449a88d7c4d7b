// Token bucket for per-connection rate limits (PROTOCOL.md §6: 20 patches/s, burst 5).
// A plain two-field object plus a function, not a closure: one exists per live
// connection, so it stays small, and the clock is passed in so tests drive time.

export interface TokenBucket {
  /** Tokens available at `at` (fractional). */
  tokens: number;
  /** Time of the last refill, ms (the injected clock's unit). */
  at: number;
}

export interface TokenBucketSpec {
  /** Refill rate, tokens per second. */
  readonly ratePerSecond: number;
  /** Bucket size: the most tokens that can be taken at once after idling. */
  readonly burst: number;
}

/** A full bucket at time `now` (ms). */
export function createTokenBucket(spec: TokenBucketSpec, now: number): TokenBucket {
  return { tokens: spec.burst, at: now };
}

/** Adds what has dripped in since the last refill, up to the burst. */
function refill(bucket: TokenBucket, spec: TokenBucketSpec, now: number): void {
  const elapsed = now - bucket.at;
  if (elapsed <= 0) return;
  bucket.tokens = Math.min(spec.burst, bucket.tokens + (elapsed * spec.ratePerSecond) / 1000);
  bucket.at = now;
}

/** Takes one token if there is one; returns false (and changes nothing else) when empty. */
export function takeToken(bucket: TokenBucket, spec: TokenBucketSpec, now: number): boolean {
  refill(bucket, spec, now);
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/**
 * Spends `amount` tokens when the bucket is not in debt, returning true; the
 * bucket may go below zero, and the next spend waits until it refills above
 * zero. For costs known only after the decision (a snapshot's bytes): one large
 * spend is always allowed, and the long-run rate is still the bucket's.
 * `amount` 0 asks whether a spend would be allowed.
 */
export function spendTokens(
  bucket: TokenBucket,
  spec: TokenBucketSpec,
  now: number,
  amount: number,
): boolean {
  refill(bucket, spec, now);
  if (bucket.tokens <= 0) return false;
  bucket.tokens -= amount;
  return true;
}
