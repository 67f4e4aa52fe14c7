/**
 * @module Rate limits on our own API (OWASP API4): a token bucket per API token and one per business,
 * checked right after authentication. Over the limit → 429 `rate_limited` with `Retry-After` (RFC 6585 §4),
 * so one tenant's flood is turned away cheaply before it reaches the database or Ramp.
 * Buckets live in each replica's memory: with N replicas the effective limit is up to N× the setting.
 */

export interface RateLimitSettings {
  /** Sustained requests per second and burst size, per API token. */
  readonly perTokenRps: number;
  readonly perTokenBurst: number;
  /** The same, per business (all tokens acting on it). */
  readonly perBusinessRps: number;
  readonly perBusinessBurst: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const MAX_BUCKETS = 100_000;

export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #rate: number;
  readonly #burst: number;

  constructor(ratePerSecond: number, burst: number) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
  }

  /** Takes one token; returns 0 when allowed, else the seconds to wait before retrying. */
  take(key: string, now: number): number {
    if (this.#rate <= 0) return 0;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#buckets.delete(this.#buckets.keys().next().value as string);
      bucket = { tokens: this.#burst, updatedAt: now };
      this.#buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.#rate);
    bucket.updatedAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#rate));
  }
}

export class ApiRateLimiter {
  readonly #perToken: TokenBuckets;
  readonly #perBusiness: TokenBuckets;

  constructor(settings: RateLimitSettings) {
    this.#perToken = new TokenBuckets(settings.perTokenRps, settings.perTokenBurst);
    this.#perBusiness = new TokenBuckets(settings.perBusinessRps, settings.perBusinessBurst);
  }

  /** Seconds to wait, or 0 when the request may proceed. */
  check(tokenId: string, businessId: string | undefined, now: number): number {
    const byToken = this.#perToken.take(tokenId, now);
    if (byToken > 0) return byToken;
    return businessId === undefined ? 0 : this.#perBusiness.take(businessId, now);
  }
}
