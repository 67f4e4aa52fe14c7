/**
 * @module Emulator clock.
 *
 * Token, code and grace-window expiry read this clock so tests can jump forward
 * (`POST /__emulator/clock {"advance_s": n}`) instead of sleeping through a 10-minute code or a
 * 10-day client-credentials token. Rate-limit windows deliberately use real time (`performance.now`)
 * because a client's `Retry-After` sleep is real; only an in-process test swaps in a clock it moves by
 * hand (`startEmulator({ rateLimitClock })`).
 */
export class EmulatorClock {
  #offsetMs = 0;

  now(): number {
    return Date.now() + this.#offsetMs;
  }

  advance(seconds: number): void {
    this.#offsetMs += seconds * 1000;
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  reset(): void {
    this.#offsetMs = 0;
  }
}
