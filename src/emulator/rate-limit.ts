/**
 * @module Ramp's rolling-window rate limit.
 *
 * "200 requests per 10-second rolling window … if you continue making requests during the window,
 * the rolling timer will extend accordingly" (docs/ramp-behaviour.md#rate-limits).
 * The emulator models that literally: every request — including rejected ones — is remembered for
 * one window, and a request is rejected while the window already holds `limit` requests. Hammering
 * therefore keeps the client locked out, which is what a well-behaved client must avoid.
 * Ramp counts per IP; the emulator counts per client id so parallel test files do not interfere.
 */
import { performance } from 'node:perf_hooks';
import type { RateLimitSetting } from './faults.ts';

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterS: number };

export class RollingWindowRateLimiter {
  readonly #requestTimes = new Map<string, number[]>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Records one request for `key` and says whether it may proceed. */
  check(key: string, setting: RateLimitSetting): RateLimitDecision {
    const now = this.#now();
    const windowMs = setting.window_s * 1000;
    const times = this.#requestTimes.get(key) ?? [];
    let expired = 0;
    while (expired < times.length && times[expired]! <= now - windowMs) expired++;
    if (expired > 0) times.splice(0, expired);
    const allowed = times.length < setting.limit;
    times.push(now);
    this.#requestTimes.set(key, times);
    if (allowed) return { allowed: true };
    // The next request passes once fewer than `limit` requests remain in the window, i.e. when the
    // request at index (length - limit) leaves it.
    const unlockAt = times[times.length - setting.limit]! + windowMs;
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil((unlockAt - now) / 1000)) };
  }

  clear(): void {
    this.#requestTimes.clear();
  }
}
