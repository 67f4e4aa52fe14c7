/**
 * @module A local limiter per Ramp connection, so we stay under Ramp's limit instead of discovering it.
 *
 * Ramp allows 200 requests per 10-second rolling window, and "if you continue making requests during
 * the window, the rolling timer will extend accordingly" (Ramp rate-limiting guide,
 * ramp-and-dayzero-api.md B5; security-reliability.md §0). So the limiter
 * - keeps the timestamps of the requests it let through and admits a new one only while fewer than
 *   `limit` fall inside the last `windowMs` (a true rolling window, not a token bucket, because that
 *   is what Ramp counts);
 * - after a 429, admits nothing until the `Retry-After` time (or a whole window when Ramp gave none):
 *   a request sent inside the lockout would only extend it.
 * Waiters are served first come, first served.
 */

export interface RollingLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/** Ramp's documented limit, with headroom for clock differences and requests already in flight. */
export const RAMP_RATE_LIMIT: RollingLimit = Object.freeze({ limit: 180, windowMs: 10_000 });

/** The local limit from `RAMP_RATE_LIMIT_PER_10S` (config `rampRequestsPer10s`); 0 switches it off. */
export function configuredRampRateLimit(perTenSeconds: number): RollingLimit | false {
  return perTenSeconds > 0 ? { limit: perTenSeconds, windowMs: RAMP_RATE_LIMIT.windowMs } : false;
}

import { sleep as realSleep, type Sleep } from '../support/backoff.ts';

export { realSleep, type Sleep };

export class RollingWindowLimiter {
  readonly #setting: RollingLimit | false;
  readonly #now: () => number;
  readonly #sleep: Sleep;
  /** Send times inside the current window, oldest first. */
  readonly #sent: number[] = [];
  #blockedUntil = 0;
  #queue: Promise<void> = Promise.resolve();

  constructor(setting: RollingLimit | false, now: () => number = Date.now, sleep: Sleep = realSleep) {
    this.#setting = setting;
    this.#now = now;
    this.#sleep = sleep;
  }

  /** Epoch ms before which nothing may be sent (a 429 lockout), or 0. */
  get blockedUntil(): number {
    return this.#blockedUntil;
  }

  /** Resolves when one request may be sent now; it is counted as sent. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#waitForSlot(signal));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /** Ramp said 429: send nothing before `untilMs`. Never shortens an existing lockout. */
  blockUntil(untilMs: number): void {
    if (untilMs > this.#blockedUntil) this.#blockedUntil = untilMs;
  }

  async #waitForSlot(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#now();
      if (now < this.#blockedUntil) {
        await this.#sleep(this.#blockedUntil - now, signal);
        continue;
      }
      if (this.#setting === false) return;
      const { limit, windowMs } = this.#setting;
      while (this.#sent.length > 0 && this.#sent[0]! <= now - windowMs) this.#sent.shift();
      if (this.#sent.length < limit) {
        this.#sent.push(now);
        return;
      }
      await this.#sleep(this.#sent[0]! + windowMs - now + 1, signal);
    }
  }
}

/** One limiter per key (a connection id), created on first use. */
export class LimiterRegistry {
  readonly #limiters = new Map<string, RollingWindowLimiter>();
  readonly #setting: RollingLimit | false;
  readonly #now: () => number;
  readonly #sleep: Sleep;

  constructor(setting: RollingLimit | false = RAMP_RATE_LIMIT, now: () => number = Date.now, sleep: Sleep = realSleep) {
    this.#setting = setting;
    this.#now = now;
    this.#sleep = sleep;
  }

  for(key: string): RollingWindowLimiter {
    let limiter = this.#limiters.get(key);
    if (!limiter) {
      limiter = new RollingWindowLimiter(this.#setting, this.#now, this.#sleep);
      this.#limiters.set(key, limiter);
    }
    return limiter;
  }
}
