/**
 * What the connection card says in the states a failing Ramp leaves behind, in headless Chromium
 * against the real server and the Ramp emulator (its faults control API):
 * - a disconnect whose revocation Ramp did not confirm (`x-ramp-revocation: pending`) never claims
 *   "revoked at Ramp", and the card offers no second Disconnect that could only fail;
 * - a sync that failed is said in the card, also after a reload (from the status's `last_sync`),
 *   in Ramp's words without the code's sentence said twice; a later completed sync clears it;
 * - "Use my own Ramp app" lists every scope a connect with the default sync settings asks for.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SYNC_SCOPES } from '../helpers/cc-token-provider.ts';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { haveChromium, launchChromium, openPage, signIn, waitForStatus, type WebPage } from './browser.ts';

const REVOKE_PATH = '/sandbox/developer/v1/token/revoke';
const BUSINESS_PATH = '/sandbox/developer/v1/business';

describe.runIf(haveChromium)('web page: the connection card when Ramp fails', () => {
  let t: TestServer;
  let emu: ReturnType<typeof emulatorControl>;
  let browser: Browser;
  const open: WebPage[] = [];

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestServer({ dialect: 'sqlite' }), launchChromium()]);
    emu = emulatorControl(t.emulator.url);
  }, 60_000);

  beforeEach(async () => {
    await emu.faults({ reset: true });
  });

  afterEach(async () => {
    await emu.faults({ reset: true });
    for (const w of open.splice(0)) {
      expect(w.console.filter((line) => line.startsWith('pageerror'))).toEqual([]);
      await w.context.close();
    }
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function newPage(): Promise<Page> {
    const w = await openPage(browser);
    open.push(w);
    return w.page;
  }

  async function connect(tenant: Tenant): Promise<void> {
    const app = await emu.createApp({ grant_types: ['client_credentials'] });
    const res = await request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: tenant.headers, json: { client_id: app.client_id, client_secret: app.client_secret } });
    expect(res.status, res.text).toBe(201);
  }

  it('a disconnect Ramp did not confirm says so (never "revoked at Ramp") and offers no second Disconnect', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    await connect(owner);
    const page = await newPage();
    await signIn(page, t.url, owner);
    await emu.faults({ error_rate: 1, paths: [REVOKE_PATH] });

    await page.getByRole('button', { name: 'Disconnect…' }).click();
    await page.getByRole('dialog', { name: 'Disconnect Ramp?' }).getByRole('button', { name: 'Disconnect', exact: true }).click();
    await expect.poll(() => page.locator('#status-badge').textContent(), { timeout: 60_000 }).toBe('Disconnecting');
    const said = await page.locator('#banner-text').textContent();
    expect(said).not.toMatch(/revoked at Ramp/);
    expect(said).toMatch(/Ramp has not confirmed/);
    expect(await page.locator('#banner').getAttribute('class')).toContain('banner-warn');
    // The row is revoke_pending: a DELETE could only answer "no Ramp connection".
    expect(await page.getByRole('button', { name: 'Disconnect…' }).isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Connect with Ramp' }).isVisible()).toBe(false);
  });

  it('a failed sync is said in the card, also after a reload; the next completed sync clears it', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    await connect(owner);
    await emu.faults({ error_rate: 1, status: 503, paths: [BUSINESS_PATH] });
    const page = await newPage();
    await signIn(page, t.url, owner);
    await page.getByRole('button', { name: 'Sync now' }).click();
    await expect.poll(() => page.locator('#sync-label').textContent(), { timeout: 90_000 }).toBe('Sync failed');
    const detail = (await page.locator('#sync-detail').textContent()) ?? '';
    expect(detail).toMatch(/^Ramp is unreachable or failing/);
    expect(detail).not.toMatch(/unreachable or failing the last time we tried\. Ramp is unreachable/);

    // A fresh page (the sync's progress box is gone): the card still says the last sync failed.
    const reloaded = await newPage();
    await signIn(reloaded, t.url, owner);
    expect(await waitForStatus(reloaded)).toBe('Connected');
    const problem = reloaded.locator('#last-sync-error');
    await expect.poll(() => problem.isVisible()).toBe(true);
    expect(await problem.textContent()).toMatch(/^The last sync failed .*: Ramp is unreachable or failing/);
    expect(await reloaded.locator('#last-error').isVisible()).toBe(true);

    await emu.faults({ reset: true });
    await reloaded.getByRole('button', { name: 'Sync now' }).click();
    await expect.poll(() => reloaded.locator('#sync-label').textContent(), { timeout: 90_000 }).toBe('Sync complete');
    await expect.poll(() => reloaded.locator('#last-error').isVisible()).toBe(false);
  });

  it('"Use my own Ramp app" lists every scope a connect with the default sync settings asks for', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    const page = await newPage();
    await signIn(page, t.url, owner);
    await page.getByRole('button', { name: 'Use my own Ramp app' }).click();
    const listed = await page.locator('#own-app-scopes code').allTextContents();
    expect(listed).toEqual([...DEFAULT_SYNC_SCOPES]);
    // And they are what the connect asks Ramp for: an app allowing exactly these connects.
    const app = await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: listed });
    await page.getByLabel('Client ID').fill(app.client_id);
    await page.getByLabel('Client Secret').fill(app.client_secret);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect.poll(() => page.locator('#status-badge').textContent(), { timeout: 30_000 }).toBe('Connected');
  });
});
