/**
 * @module Waiting before trying again, shared by every outbound caller (Ramp API client, token
 * refresh, webhook deliveries): full-jitter exponential backoff, `rand(0, min(cap, base·2^n))`
 * (AWS Builders' Library, "Timeouts, retries, and backoff with jitter"), and `Retry-After`
 * (RFC 9110 §10.2.3) as a floor, never a ceiling.
 */

export interface BackoffSettings {
  /** First retry waits up to this long. */
  readonly baseMs: number;
  /** No single wait is drawn from a range wider than this. */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = Object.freeze({ baseMs: 200, capMs: 10_000 });

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

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Resolves after `ms`, or rejects when `signal` aborts first. */
export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort(): void {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
