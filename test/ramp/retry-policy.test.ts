/** Backoff, Retry-After and the local rolling-window limiter (src/ramp/retry-policy.ts, rate-limiter.ts). */
import { describe, expect, it } from 'vitest';
import { configuredRampRateLimit, RAMP_RATE_LIMIT, RollingWindowLimiter } from '../../src/ramp/rate-limiter.ts';
import { fullJitterDelay, isIdempotentMethod, isRetryableStatus, parseRetryAfter } from '../../src/ramp/retry-policy.ts';

describe('retry policy', () => {
  it('full jitter stays within [0, min(cap, base·2^n))', () => {
    const settings = { baseMs: 100, capMs: 1000 };
    expect(fullJitterDelay(0, settings, () => 0.999)).toBe(99);
    expect(fullJitterDelay(3, settings, () => 0.5)).toBe(400);
    expect(fullJitterDelay(10, settings, () => 0.999)).toBe(999);
    expect(fullJitterDelay(100, settings, () => 0)).toBe(0);
  });

  it('retries 429 and 5xx (not 501/505), and only idempotent methods', () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 422, 501, 505].some(isRetryableStatus)).toBe(false);
    expect(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'].every(isIdempotentMethod)).toBe(true);
    expect(['POST', 'PATCH'].some(isIdempotentMethod)).toBe(false);
  });

  it('reads Retry-After as seconds or an HTTP-date (RFC 9110 §10.2.3)', () => {
    const now = Date.parse('2026-11-26T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 26 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Thursday, 26-Nov-26 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 09:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('RollingWindowLimiter', () => {
  function fakeClock() {
    let now = 0;
    const sleeps: number[] = [];
    return { now: () => now, sleep: async (ms: number) => { sleeps.push(ms); now += ms; }, sleeps, advance: (ms: number) => (now += ms) };
  }

  it('admits `limit` requests per rolling window, then waits for the oldest to leave it', async () => {
    const clock = fakeClock();
    const limiter = new RollingWindowLimiter({ limit: 3, windowMs: 1000 }, clock.now, clock.sleep);
    for (let i = 0; i < 3; i++) (await limiter.acquire())();
    expect(clock.now()).toBe(0);
    await limiter.acquire();
    expect(clock.now()).toBe(1001);
  });

  it('counts a request until a window after its answer: a slow one holds its slot while in flight', async () => {
    const clock = fakeClock();
    const limiter = new RollingWindowLimiter({ limit: 1, windowMs: 1000 }, clock.now, clock.sleep);
    const slow = await limiter.acquire();
    let admitted = false;
    const next = limiter.acquire().then(() => (admitted = true));
    // Counting from the send, the next would go at 1001; the slow request is still unanswered.
    await new Promise((r) => setTimeout(r, 20));
    expect(admitted).toBe(false);
    clock.advance(5000);
    slow(); // answered at 5000: counted until 6000
    await next;
    expect(clock.now()).toBe(6001);
  });

  it('sends nothing before a 429 lockout ends, and never shortens one', async () => {
    const clock = fakeClock();
    const limiter = new RollingWindowLimiter({ limit: 100, windowMs: 10_000 }, clock.now, clock.sleep);
    limiter.blockUntil(3000);
    limiter.blockUntil(1000);
    await limiter.acquire();
    expect(clock.now()).toBe(3000);
  });

  it('serves waiters in arrival order', async () => {
    const clock = fakeClock();
    const limiter = new RollingWindowLimiter({ limit: 1, windowMs: 100 }, clock.now, clock.sleep);
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3].map((n) =>
        limiter.acquire().then((answered) => {
          order.push(n);
          answered();
        }),
      ),
    );
    expect(order).toEqual([1, 2, 3]);
  });

  it('takes RAMP_RATE_LIMIT_PER_10S as requests per 10 s, 0 meaning off', async () => {
    expect(configuredRampRateLimit(180)).toEqual(RAMP_RATE_LIMIT);
    expect(configuredRampRateLimit(50)).toEqual({ limit: 50, windowMs: 10_000 });
    expect(configuredRampRateLimit(0)).toBe(false);
    const clock = fakeClock();
    const off = new RollingWindowLimiter(configuredRampRateLimit(0), clock.now, clock.sleep);
    for (let i = 0; i < 1000; i++) await off.acquire();
    expect(clock.now()).toBe(0);
  });
});
