/**
 * @module When and how long to wait before trying a Ramp call again.
 *
 * - Only idempotent methods are retried automatically: RFC 9110 §9.2.2 — a client "SHOULD NOT
 *   automatically retry a request with a non-idempotent method", and a proxy "MUST NOT".
 * - Delay is "full jitter" exponential backoff, `rand(0, min(cap, base·2^n))` (AWS Builders'
 *   Library, "Timeouts, retries, and backoff with jitter"), bounded by an attempt cap and a deadline.
 * - `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) is a floor, never a ceiling.
 * Refs: docs/guarantees.md#calls-to-ramp.
 */

export { DEFAULT_BACKOFF, fullJitterDelay, parseRetryAfter, type BackoffSettings } from '../support/backoff.ts';

/** Statuses that mean "not processed, try later": 429, and 5xx except 501/505 (permanent). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

export function isIdempotentMethod(method: string): boolean {
  return ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'].includes(method.toUpperCase());
}
