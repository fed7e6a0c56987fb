import { isTransient, type WeComError } from './errors';

export interface RetryOptions {
  /** Total attempts of an idempotent call on transient failures (−1, 45033, 5xx, network). */
  attempts: number;
  /** Backoff base and cap: the n-th retry waits random(0, min(cap, base·2^(n−1))) (full jitter). */
  baseMs: number;
  capMs: number;
  /** 45009 blocks for a window (60 s for minute limits): an idempotent read waits this long … */
  rateLimitWaitMs: number;
  /** … at most this many times before surfacing the rate-limited error. */
  rateLimitRetries: number;
}

export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({
  attempts: 4,
  baseMs: 200,
  capMs: 5_000,
  rateLimitWaitMs: 60_000,
  rateLimitRetries: 1,
});

/** Failures of one call so far, by reason. */
export interface RetryCounts {
  transient: number;
  rateLimited: number;
}

/** Full-jitter exponential backoff before retry number `retry` (1-based). */
export function backoffMs(retry: number, o: Pick<RetryOptions, 'baseMs' | 'capMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(o.capMs, o.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * How long to wait before retrying after `err`, or undefined to give up.
 * Only idempotent calls are ever retried here: a write's outbox row owns its
 * retries, because it can record that an attempt was made. Counts are updated.
 */
export function nextRetryDelay(
  err: WeComError,
  idempotent: boolean,
  counts: RetryCounts,
  o: RetryOptions,
  random: () => number = Math.random,
): number | undefined {
  if (!idempotent) return undefined;
  if (err.kind === 'rate_limited' && err.errcode !== 45033) {
    if (counts.rateLimited >= o.rateLimitRetries) return undefined;
    counts.rateLimited += 1;
    // Past the blocking window, spread out so callers blocked together don't return together.
    return Math.floor(o.rateLimitWaitMs * (1 + random() * 0.2));
  }
  if (!isTransient(err)) return undefined;
  counts.transient += 1;
  if (counts.transient >= o.attempts) return undefined;
  return backoffMs(counts.transient, o, random);
}
