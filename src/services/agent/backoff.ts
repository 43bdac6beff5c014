// Exponential backoff with jitter, for the informer's reconnects and the work queue's retries:
// attempt n (0-based) waits base·2ⁿ capped at max, then scaled by a random factor in
// [1 − jitter, 1] ("equal jitter" when jitter = 0.5), so that many clients retrying after one
// API-server restart do not come back in step. The random source is injectable for tests.

export interface Backoff {
  baseMs: number;
  maxMs: number;
  /** 0 (none) to 1 (full jitter). */
  jitter: number;
  random?: () => number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 200, maxMs: 30_000, jitter: 0.5 };

export function backoffDelay(attempt: number, b: Backoff = DEFAULT_BACKOFF): number {
  const raw = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(attempt, 30));
  const r = (b.random ?? Math.random)();
  return Math.round(raw * (1 - b.jitter * r));
}
