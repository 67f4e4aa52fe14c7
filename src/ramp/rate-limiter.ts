/**
 * @module A local limiter per Ramp connection, so we stay under Ramp's limit instead of discovering it.
 *
 * Ramp allows 200 requests per 10-second rolling window, and requests sent while limited push the
 * end of the lockout further out (docs/ramp-behaviour.md#rate-limits). So the limiter
 * - admits a new request only while fewer than `limit` requests are in flight or were answered
 *   within the last `windowMs` (a true rolling window, not a token bucket, because that is what Ramp
 *   counts). A request counts from when it is sent until `windowMs` after its answer, not after its
 *   sending: Ramp counts arrivals, and a slow request sent before a fast one can arrive after it.
 *   Counted from the answer, any request Ramp still counts is one we count too, whatever the
 *   latencies (docs/guarantees.md#g27; a 1-second scaled test saw 3 of 40 refused when counting from sends);
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

/** What the Ramp client needs from a connection's limiter (in memory here; shared: shared-rate-limiter.ts). */
export interface RampLimiter {
  /** Epoch ms before which nothing may be sent (a 429 lockout), or 0. */
  readonly blockedUntil: number;
  /** Resolves when one request may be sent, with the function to call once its answer (or failure) is in. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  /** Ramp said 429: send nothing before `untilMs`. */
  blockUntil(untilMs: number): void;
}

/** The limiter of each connection. */
export interface RampLimiters {
  for(connectionId: string, businessId: string): RampLimiter;
}

export class RollingWindowLimiter implements RampLimiter {
  readonly #setting: RollingLimit | false;
  readonly #now: () => number;
  readonly #sleep: Sleep;
  /** Requests counted now: in flight (`answeredAt` null) or answered inside the window. */
  readonly #slots: { answeredAt: number | null }[] = [];
  #blockedUntil = 0;
  #queue: Promise<unknown> = Promise.resolve();
  /** Wakes a waiter when an in-flight request is answered. */
  #onAnswer: (() => void)[] = [];

  constructor(setting: RollingLimit | false, now: () => number = Date.now, sleep: Sleep = realSleep) {
    this.#setting = setting;
    this.#now = now;
    this.#sleep = sleep;
  }

  /** Epoch ms before which nothing may be sent (a 429 lockout), or 0. */
  get blockedUntil(): number {
    return this.#blockedUntil;
  }

  /**
   * Resolves when one request may be sent now, with the function to call once its answer (or failure)
   * is in: the request counts until `windowMs` after that call.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    const turn = this.#queue.then(() => this.#waitForSlot(signal));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /** Ramp said 429: send nothing before `untilMs`. Never shortens an existing lockout. */
  blockUntil(untilMs: number): void {
    if (untilMs > this.#blockedUntil) this.#blockedUntil = untilMs;
  }

  async #waitForSlot(signal?: AbortSignal): Promise<() => void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#now();
      if (now < this.#blockedUntil) {
        await this.#sleep(this.#blockedUntil - now, signal);
        continue;
      }
      if (this.#setting === false) return () => {};
      const { limit, windowMs } = this.#setting;
      for (let i = this.#slots.length - 1; i >= 0; i--) {
        const answeredAt = this.#slots[i]!.answeredAt;
        if (answeredAt !== null && answeredAt <= now - windowMs) this.#slots.splice(i, 1);
      }
      if (this.#slots.length < limit) return this.#take();
      // Full: wait for the oldest answer to leave the window, or for an in-flight request's answer.
      const answered = this.#slots.flatMap((slot) => (slot.answeredAt === null ? [] : [slot.answeredAt]));
      const stop = new AbortController();
      const onAbort = () => stop.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const nextAnswer = new Promise<void>((resolve) => this.#onAnswer.push(resolve));
        const waits = [nextAnswer];
        // The loser of the race is aborted below; its rejection is not an error (the loop re-checks `signal`).
        if (answered.length > 0) waits.push(this.#sleep(Math.min(...answered) + windowMs - now + 1, stop.signal).catch(() => undefined));
        await Promise.race(waits);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        stop.abort();
      }
    }
  }

  #take(): () => void {
    const slot: { answeredAt: number | null } = { answeredAt: null };
    this.#slots.push(slot);
    return () => {
      if (slot.answeredAt !== null) return;
      slot.answeredAt = this.#now();
      const woken = this.#onAnswer;
      this.#onAnswer = [];
      for (const wake of woken) wake();
    };
  }
}

/** One in-memory limiter per connection, created on first use: enough when one process calls Ramp (SQLite). */
export class LimiterRegistry implements RampLimiters {
  readonly #limiters = new Map<string, RollingWindowLimiter>();
  readonly #setting: RollingLimit | false;
  readonly #now: () => number;
  readonly #sleep: Sleep;

  constructor(setting: RollingLimit | false = RAMP_RATE_LIMIT, now: () => number = Date.now, sleep: Sleep = realSleep) {
    this.#setting = setting;
    this.#now = now;
    this.#sleep = sleep;
  }

  for(connectionId: string): RollingWindowLimiter {
    let limiter = this.#limiters.get(connectionId);
    if (!limiter) {
      limiter = new RollingWindowLimiter(this.#setting, this.#now, this.#sleep);
      this.#limiters.set(connectionId, limiter);
    }
    return limiter;
  }
}
