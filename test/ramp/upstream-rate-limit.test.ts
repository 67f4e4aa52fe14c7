/**
 * Checklist #27: a burst above Ramp's limit is held back by our per-connection limiter, not sent and
 * refused. Scaled down so it runs in seconds: Ramp (the emulator) allows 10 calls per rolling second,
 * our ceiling is 8 (as 180 sits under Ramp's 200 per 10 s); 40 proxied calls arrive at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http.ts';
import { connectedTenant, control, startDataApp, type DataTestApp } from '../sync/helpers.ts';

describe('sqlite: calls to Ramp stay under its rate limit', () => {
  let t: DataTestApp;
  beforeAll(async () => {
    t = await startDataApp('sqlite', { client: { rateLimit: { limit: 8, windowMs: 1_000 } } });
  });
  afterAll(async () => t?.close());

  it('40 calls at once against 10 per second: all answered, none refused by Ramp, none lost', async () => {
    const tenant = await connectedTenant(t);
    await control(t.emulator, 'POST', '/faults', { reset: true, rate_limit: { limit: 10, window_s: 1 } });
    await control(t.emulator, 'DELETE', '/stats');
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 40 }, () => request(`${t.url}/api/v1/ramp/proxy/business`, { headers: tenant.headers })));
    const elapsed = Date.now() - started;
    expect(answers.filter((answer) => answer.status !== 200).map((answer) => answer.status)).toEqual([]);
    const stats = await control(t.emulator, 'GET', '/stats');
    expect(stats.rate_limited).toBe(0);
    // Held back, not refused: 8 now, 8 more each second after.
    expect(elapsed).toBeGreaterThanOrEqual(3_500);
    await control(t.emulator, 'POST', '/faults', { reset: true });
  }, 30_000);
});
