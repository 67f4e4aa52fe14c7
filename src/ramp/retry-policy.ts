/**
 * @module When and how long to wait before trying a Ramp call again.
 *
 * - Only idempotent methods are retried automatically: RFC 9110 §9.2.2 — a client "SHOULD NOT
 *   automatically retry a request with a non-idempotent method", and a proxy "MUST NOT".
 * - Delay is "full jitter" exponential backoff, `rand(0, min(cap, base·2^n))` (AWS Builders'
 *   Library, "Timeouts, retries, and backoff with jitter"), bounded by an attempt cap and a deadline.
 * - `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) is a floor, never a ceiling.
 * Refs: security-reliability.md §3.7.
 */

export interface BackoffSettings {
  /** First retry waits up to this long. */
  readonly baseMs: number;
  /** No single wait is drawn from a range wider than this. */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = Object.freeze({ baseMs: 200, capMs: 10_000 });

/** Statuses that mean "not processed, try later": 429, and 5xx except 501/505 (permanent). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

export function isIdempotentMethod(method: string): boolean {
  return ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'].includes(method.toUpperCase());
}

/** Full-jitter delay before retry number `retry` (0 = the first retry). */
export function fullJitterDelay(retry: number, settings: BackoffSettings = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.capMs, settings.baseMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * ceiling);
}

/**
 * Parses `Retry-After` (RFC 9110 §10.2.3) into milliseconds from `nowMs`: either delay-seconds
 * (a non-negative integer) or an HTTP-date. Absent or malformed → undefined; a past date → 0.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed), 86_400) * 1000;
  // IMF-fixdate, RFC 850 and asctime are the three HTTP-date forms; Date.parse reads all three.
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - nowMs), 86_400_000);
}
