/**
 * Issue 13, "a sync tells the truth", on the page: headless Chromium against the real server and the
 * Ramp emulator. A connection without `spend_programs:read`, `vendors:read` and `bills:read`: Sync now ends "some data left
 * out" (never "Sync complete"), names the resources it could not read, and the connection card says
 * which scopes to allow and where, also after a reload (from the status's `last_sync`). A connection
 * with every scope shows none of it. Screenshots: test-artifacts/web/NN-step.png.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { haveChromium, horizontalOverflow, launchChromium, openPage, screenshotter, signIn, type WebPage } from './browser.ts';
import { DEFAULT_SYNC_SCOPES } from '../helpers/cc-token-provider.ts';

const screenshot = screenshotter(70);

const ALL_SYNC_SCOPES = [...DEFAULT_SYNC_SCOPES];

describe.runIf(haveChromium)('web page: a partial sync names what to enable in Ramp', () => {
  let t: TestServer;
  let emu: ReturnType<typeof emulatorControl>;
  let browser: Browser;
  const open: WebPage[] = [];

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestServer({ dialect: 'sqlite' }), launchChromium()]);
    emu = emulatorControl(t.emulator.url);
  }, 60_000);

  afterEach(async () => {
    for (const w of open.splice(0)) {
      expect(w.console.filter((line) => line.startsWith('pageerror'))).toEqual([]);
      await w.context.close();
    }
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function newPage(size?: { width: number; height: number }): Promise<Page> {
    const w = await openPage(browser, size);
    open.push(w);
    return w.page;
  }

  async function connect(tenant: Tenant, scopes: string[]): Promise<void> {
    const app = await emu.createApp({ grant_types: ['client_credentials'] });
    const res = await request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: tenant.headers, json: { client_id: app.client_id, client_secret: app.client_secret, scopes } });
    expect(res.status, res.text).toBe(201);
  }

  const items = (page: Page, list: string) => page.locator(`#${list} li`).allTextContents();

  it('Sync now ends "some data left out", lists the resources, and the card says which scopes to allow', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    // spend-programs: a resource whose name is not a word ("Spend-programs" before every resource had a label).
    const refused = ['spend_programs:read', 'vendors:read', 'bills:read'];
    await connect(owner, ALL_SYNC_SCOPES.filter((scope) => !refused.includes(scope)));
    const page = await newPage();
    await signIn(page, t.url, owner);
    expect(await page.locator('#skipped-callout').isVisible()).toBe(false);

    await page.getByRole('button', { name: 'Sync now' }).click();
    await expect.poll(() => page.locator('#sync-label').textContent(), { timeout: 30_000 }).toBe('Sync finished, some data left out');
    expect(await page.locator('#sync-detail').textContent()).toMatch(/^[\d,]+ records fetched · not synced: Spend programs, Vendors, Bills$/);
    expect(await items(page, 'sync-skipped')).toEqual(['Spend programs — allow spend_programs:read', 'Vendors — allow vendors:read', 'Bills — allow bills:read']);
    expect(await page.locator('#sync-bar').evaluate((bar: HTMLProgressElement) => bar.value)).toBe(100);

    // The connection card, from GET /api/v1/ramp/status (last_sync), once the sync has ended.
    const callout = page.locator('#skipped-callout');
    await expect.poll(() => callout.isVisible()).toBe(true);
    expect(await items(page, 'skipped-list')).toEqual(['Spend programs — allow spend_programs:read', 'Vendors — allow vendors:read', 'Bills — allow bills:read']);
    expect(await page.locator('#skipped-hint').textContent()).toContain('Ramp Dashboard → Company → Developer');
    await expect.poll(async () => (await page.locator('#tx-body tr').count()) > 0).toBe(true);
    await screenshot(page, 'partial-sync');

    // Still said after a reload, and readable at 375 px without sideways scrolling.
    const narrow = await newPage({ width: 375, height: 800 });
    await signIn(narrow, t.url, owner);
    await expect.poll(() => narrow.locator('#skipped-callout').isVisible()).toBe(true);
    expect(await items(narrow, 'skipped-list')).toEqual(['Spend programs — allow spend_programs:read', 'Vendors — allow vendors:read', 'Bills — allow bills:read']);
    expect(await horizontalOverflow(narrow)).toBeLessThanOrEqual(0);
    await screenshot(narrow, 'partial-sync-375');
  });

  it('a connection with every scope: Sync complete, and no "left out" callout', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    await connect(owner, ALL_SYNC_SCOPES);
    const page = await newPage();
    await signIn(page, t.url, owner);
    await page.getByRole('button', { name: 'Sync now' }).click();
    await expect.poll(() => page.locator('#sync-label').textContent(), { timeout: 30_000 }).toBe('Sync complete');
    await expect.poll(async () => (await page.locator('#tx-body tr').count()) > 0).toBe(true);
    expect(await page.locator('#sync-skipped').isVisible()).toBe(false);
    expect(await page.locator('#skipped-callout').isVisible()).toBe(false);
  });
});
