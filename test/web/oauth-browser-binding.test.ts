/**
 * The OAuth flow is bound to the browser that opened the connect URL (docs/guarantees.md#g41), in real
 * Chromium, both dialects: an API caller gets the connect URL with its bearer token and hands it to a
 * browser; that browser gets the `__Host-` cookie; Ramp's redirect back, stolen and opened in another
 * browser context, is a 400 and never reaches Ramp's token endpoint; the first browser then finishes.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { createTenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { haveChromium, launchChromium } from './browser.ts';

for (const dialect of DIALECTS) {
  describe.runIf(haveChromium)(`${dialect}: OAuth state bound to the browser (Chromium)`, () => {
    let t: TestServer;
    let browser: Browser;
    beforeAll(async () => {
      [t, browser] = await Promise.all([startTestServer({ dialect }), launchChromium()]);
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await t?.close();
    });

    it('a stolen callback URL opened in another browser context does not complete; the browser that started it does', async () => {
      const emu = emulatorControl(t.emulator.url);
      const owner = await createTenant(t.server.ctx.db, 'owner');
      const tokenCalls = async () => (await emu.stats()).endpoints['POST /sandbox/developer/v1/token'] ?? 0;
      const start = await request(`${t.url}/api/v1/ramp/connect-url`, { headers: owner.headers });
      expect(start.status).toBe(200);

      // The victim's browser opens the connect URL and lands on Ramp's consent page (no preset decision).
      const victim = await browser.newContext();
      const victimPage = await victim.newPage();
      await victimPage.goto(start.body.connect_url);
      await expect.poll(() => victimPage.getByRole('button', { name: 'Allow' }).isVisible()).toBe(true);
      // Allow: Ramp's answer (a redirect to our callback carrying the code) is captured and held, as an
      // eavesdropper (a leaked log, a history sync) would see it. A route sees only the first request of
      // a redirect chain, so the consent POST is fetched here and the redirect not followed.
      let stolen: string | undefined;
      await victimPage.route(
        (url) => url.origin === t.emulator.url,
        async (route) => {
          const answer = await route.fetch({ maxRedirects: 0 });
          stolen = answer.headers().location;
          await route.abort();
        },
      );
      await victimPage.getByRole('button', { name: 'Allow' }).click();
      await expect.poll(() => stolen).toContain('code=');
      await victimPage.unrouteAll();
      const [cookie] = (await victim.cookies(t.url)).filter((c) => c.name.startsWith('__Host-'));
      expect(cookie).toMatchObject({ name: '__Host-ramp_oauth_browser', path: '/', httpOnly: true, secure: true, sameSite: 'Lax' });

      const before = await tokenCalls();
      const thief = await browser.newContext();
      const thiefPage = await thief.newPage();
      const answer = await thiefPage.goto(stolen!);
      expect(answer?.status()).toBe(400);
      expect(await answer?.json()).toMatchObject({ code: 'oauth_other_browser' });
      expect(await tokenCalls()).toBe(before);
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers })).body.status).toBe('disconnected');
      await thief.close();

      const landed = await victimPage.goto(stolen!);
      expect(landed?.request().redirectedFrom()?.url()).toBe(stolen);
      // The page's own URL before its script tidies the query away.
      expect(landed?.url()).toBe(`${t.url}/?ramp=connected`);
      expect(await tokenCalls()).toBe(before + 1);
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers })).body.status).toBe('connected');
      await victim.close();
    });
  });
}
