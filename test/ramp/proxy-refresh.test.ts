/**
 * Checklist #17: 200 concurrent proxy calls in one process on a connection whose access token has
 * lapsed → exactly 1 refresh grant at Ramp, and all 200 calls succeed with the new token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { TestBrowser } from '../helpers/test-browser.ts';
import { request } from '../helpers/http.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: proxy calls on a lapsed token`, () => {
    let t: TestServer;
    let owner: Tenant;
    beforeAll(async () => {
      // Our per-connection ceiling under Ramp's limit would queue 200 calls for 10 s; it is not under test.
      t = await startTestServer({ dialect, env: { RAMP_RATE_LIMIT_PER_10S: '0', RATE_LIMIT_TOKEN_RPS: '0', RATE_LIMIT_BUSINESS_RPS: '0' } });
      owner = await createTenant(t.server.ctx.db, 'owner');
    });
    afterAll(async () => t?.close());

    it('200 concurrent calls → 1 refresh, 200 answers', async () => {
      const emu = emulatorControl(t.emulator.url);
      await emu.faults({ rate_limit: false });
      const start = await request(`${t.url}/api/v1/ramp/connect-url`, { headers: owner.headers });
      await emu.consent({ decision: 'approve', role: 'admin' });
      const browser = new TestBrowser();
      const authorize = await browser.openConnectUrl(start.body.connect_url);
      expect((await browser.fetch(authorize.headers.get('location')!)).status).toBe(302);

      await t.server.ctx.db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: Date.now() - 1 }).where('business_id', '=', owner.businessId).execute();
      const before = (await emu.stats()).grants.refresh_token;
      const answers = await Promise.all(Array.from({ length: 200 }, () => request(`${t.url}/api/v1/ramp/proxy/business`, { headers: owner.headers })));
      expect(answers.filter((answer) => answer.status !== 200).map((answer) => `${answer.status} ${answer.text.slice(0, 80)}`)).toEqual([]);
      expect((await emu.stats()).grants.refresh_token).toBe(before + 1);
    });
  });
}
