/**
 * The shutdown log (src/server.ts): each step of a server's close is named, and one that takes longer
 * than 5 s is logged at warn with its name, so a close that hangs says what it is waiting on. The
 * clock is moved by hand inside a step; nothing waits. And a request answered while the server closes
 * does not hold the close for the keep-alive timeout.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { startProbedEmulator } from '../helpers/probed-emulator.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { createTenant } from '../helpers/tenants.ts';
import { startTestServer } from '../helpers/test-server.ts';

describe('shutdown steps', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a step that took 6 s is logged with its name; the others are not warned about', async () => {
    const t = await startTestServer({ dialect: DIALECTS[0]! });
    const realNow = performance.now.bind(performance);
    let offsetMs = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => realNow() + offsetMs);
    t.server.ctx.onClose(() => {
      offsetMs += 6_000;
    }, 'a slow test step');
    await t.close();
    const warnings = t.logs.map((line) => JSON.parse(line) as { level: number; msg: string; step?: string; ms?: number }).filter((line) => line.msg === 'slow shutdown step');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, step: 'a slow test step' });
    expect(warnings[0]!.ms).toBeGreaterThanOrEqual(6_000);
  });

  // The keep-alive timeout is 72 s: a close that waited it out would end the test by its 40 s timeout.
  it('a request answered during the close does not keep the server open for the keep-alive timeout', async () => {
    const emulator = await startProbedEmulator();
    const t = await startTestServer({ dialect: DIALECTS[0]!, emulator: emulator.running });
    try {
      const tenant = await createTenant(t.server.ctx.db, 'owner');
      const control = emulatorControl(emulator.url);
      const rampApp = await control.createApp({ grant_types: ['client_credentials'] });
      // Ramp's token endpoint answers 2 s late: the connect is in flight when the close starts.
      await control.faults({ hang_ms: 2_000, paths: ['/developer/v1/token', '/sandbox/developer/v1/token'] });
      const connecting = request(`${t.url}/api/v1/ramp/connect-with-credentials`, {
        method: 'POST',
        headers: tenant.headers,
        json: { client_id: rampApp.client_id, client_secret: rampApp.client_secret },
      });
      await expect.poll(() => emulator.requests('/developer/v1/token').open, { timeout: 30_000, interval: 10 }).toBeGreaterThan(0);
      const closed = t.close();
      expect((await connecting).status).toBe(201);
      await closed;
    } finally {
      await emulator.close();
    }
  }, 40_000);
});
