/**
 * The web page end to end in headless Chromium against the real server and the Ramp emulator:
 * sign in with a token (an account in no business sees no empty Business menu but a link to the hint
 * naming the two commands that make it an owner, and they work as written); connect through the
 * emulator's HTML consent page (clicking Allow, no preset consent); Deny shows the reason in plain
 * words; disconnect behind a confirmation dialog; connect with your own Ramp app (422 per field, 400 in
 * words, then success); needs_reauth offers Reconnect; 375 px has no horizontal scroll; Tab reaches the
 * connect buttons with a visible focus ring; sync with live progress, transactions paging, date filter
 * and the spend chart.
 *
 * Runs when Chromium is found (CHROMIUM_PATH, default /usr/bin/chromium); with CI=true a missing browser
 * is a failure, never a silent skip. Screenshots: test-artifacts/web/NN-step.png.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { runCli } from '../helpers/processes.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { chromiumPath, haveChromium, horizontalOverflow, launchChromium, openPage, screenshotter, signIn, waitForStatus, type WebPage } from './browser.ts';

describe.runIf(!haveChromium && process.env.CI === 'true')('web page: browser prerequisites', () => {
  it('Chromium is installed in CI', () => {
    expect(haveChromium, `Chromium not found at ${chromiumPath}`).toBe(true);
  });
});

if (!haveChromium && process.env.CI !== 'true') {
  describe.skip(`web page in headless Chromium (skipped: no Chromium at ${chromiumPath}; set CHROMIUM_PATH)`, () => {
    it('needs Chromium', () => {});
  });
}

const screenshot = screenshotter(1);

describe.runIf(haveChromium)('web page in headless Chromium', () => {
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
      // The token must never be in a URL the page requested, and never in its console.
      const tokens = (w as WebPage & { tokens?: string[] }).tokens ?? [];
      for (const token of tokens) {
        expect(w.requestedUrls.filter((u) => u.includes(token))).toEqual([]);
        expect(w.console.filter((line) => line.includes(token))).toEqual([]);
      }
      expect(w.console.filter((line) => line.startsWith('pageerror'))).toEqual([]);
      await w.context.close();
    }
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function newPage(tenant?: Tenant, size?: { width: number; height: number }): Promise<Page> {
    const w = await openPage(browser, size);
    (w as WebPage & { tokens?: string[] }).tokens = tenant ? [tenant.token] : [];
    open.push(w);
    return w.page;
  }

  /** A client-credentials connection made through the API (for tests about what comes after). */
  async function connectViaApi(tenant: Tenant): Promise<void> {
    const app = await emu.createApp({ grant_types: ['client_credentials'] });
    const res = await request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: tenant.headers, json: { client_id: app.client_id, client_secret: app.client_secret } });
    expect(res.status, res.text).toBe(201);
  }

  const badge = (page: Page) => page.locator('#status-badge');
  const banner = (page: Page) => page.locator('#banner-text');

  it('signs in with a pasted token (kept in sessionStorage, never in a URL) and shows the business', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    const page = await newPage(owner);
    await page.goto(`${t.url}/`);
    await expect.poll(() => page.getByLabel('API token').isVisible()).toBe(true);
    expect(await page.getByLabel('API token').getAttribute('type')).toBe('password');
    await screenshot(page, 'sign-in');

    // A token that is not accepted: an inline message, still on the sign-in form.
    await page.getByLabel('API token').fill('dz_notarealtokenid_notarealsecretnotarealsecretnotarealsecre');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#token-error').textContent()).toContain('not accepted');
    expect(await page.getByLabel('API token').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('API token').fill(owner.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await waitForStatus(page)).toBe('Not connected');
    expect(await page.getByLabel('API token').inputValue()).toBe('');
    expect(await page.evaluate(() => sessionStorage.getItem('ramp-connect.token'))).toBe(owner.token);
    expect(await page.evaluate(() => sessionStorage.getItem('ramp-connect.business'))).toBe(owner.businessId);
    // One business: its name as text, no menu.
    const business = await request(`${t.url}/api/v1/businesses`, { headers: owner.headers });
    expect(await page.locator('#business-name').textContent()).toBe(business.body.items[0].name);
    expect(await page.locator('#business-select').isVisible()).toBe(false);
    expect(page.url()).toBe(`${t.url}/`);
    expect(await page.getByRole('button', { name: 'Connect with Ramp' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Use my own Ramp app' }).isVisible()).toBe(true);
    await screenshot(page, 'signed-in-not-connected');

    // A second business: a labelled menu; the choice is remembered across a reload (same tab).
    const second = await request(`${t.url}/api/v1/businesses`, { method: 'POST', headers: owner.headers, json: { name: 'Second Books LLC' } });
    expect(second.status, second.text).toBe(201);
    await page.reload();
    expect(await waitForStatus(page)).toBe('Not connected');
    const picker = page.getByLabel('Business');
    expect(await picker.isVisible()).toBe(true);
    expect(await picker.inputValue()).toBe(owner.businessId);
    await picker.selectOption({ label: 'Second Books LLC' });
    await expect.poll(() => page.evaluate(() => sessionStorage.getItem('ramp-connect.business'))).toBe(second.body.data.id);
    expect(await waitForStatus(page)).toBe('Not connected');
    await page.reload();
    expect(await waitForStatus(page)).toBe('Not connected');
    expect(await picker.inputValue()).toBe(second.body.data.id);

    // Signing out forgets the token.
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.evaluate(() => sessionStorage.getItem('ramp-connect.token'))).toBeNull();
    expect(await page.getByLabel('API token').isVisible()).toBe(true);
  });

  it('an account in no business gets no empty menu but a link to the commands that make one it owns, and they work as written', async () => {
    const stray = await createTenant(t.server.ctx.db, 'owner');
    await t.server.ctx.db.kysely.deleteFrom('memberships').where('user_id', '=', stray.userId).execute();
    const { email } = await t.server.ctx.db.kysely.selectFrom('users').select('email').where('id', '=', stray.userId).executeTakeFirstOrThrow();
    const page = await newPage(stray);
    await page.goto(`${t.url}/`);
    await page.getByLabel('API token').fill(stray.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const hint = page.locator('#no-business');
    await expect.poll(() => hint.isVisible()).toBe(true);
    const commands = (await hint.locator('code').allTextContents()).filter((text) => text.startsWith('npx ramp-connect '));
    expect(commands).toEqual([expect.stringContaining(' business create '), expect.stringContaining(' user create ')]);
    // The header shows no empty Business menu: it says there is none and leads to the hint.
    expect(await page.locator('#business-select').isVisible()).toBe(false);
    expect(await page.locator('#business-label').isVisible()).toBe(false);
    const way = page.getByRole('link', { name: 'No business yet: what to do' });
    expect(await way.isVisible()).toBe(true);
    await way.click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('no-business');
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await screenshot(page, 'no-business-375');

    // Follow the hint: business create alone leaves the account outside; user create adds it as owner.
    const cli = (command: string, values: Record<string, string>) => {
      let line = command.slice('npx ramp-connect '.length);
      for (const [placeholder, value] of Object.entries(values)) line = line.replaceAll(placeholder, value);
      const args = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
      return runCli(args, { DATABASE_URL: t.database.url, DATA_DIR: scratch, RAMP_ENV: 'emulator', LOG_LEVEL: 'warn' });
    };
    const scratch = mkdtempSync(join(tmpdir(), 'rc-hint-'));
    try {
      const made = await cli(commands[0]!, {});
      expect(made.code, made.stderr).toBe(0);
      const businessId = (JSON.parse(made.stdout) as { id: string }).id;
      const joined = await cli(commands[1]!, { '<your e-mail>': email, '<business id>': businessId });
      expect(joined.code, joined.stderr).toBe(0);
      await page.reload();
      expect(await waitForStatus(page)).toBe('Not connected');
      expect(await hint.isVisible()).toBe(false);
      expect(await page.locator('#business-name').textContent()).toBe('Your business');
      expect(await way.isVisible()).toBe(false);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('connects through Ramp’s consent page (Allow) and shows the connection', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    const page = await newPage(owner);
    await signIn(page, t.url, owner);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(t.emulator.url)), page.getByRole('button', { name: 'Connect with Ramp' }).click()]);
    // The emulator's real HTML consent page: no preset decision.
    await expect.poll(() => page.getByRole('button', { name: 'Allow' }).isVisible()).toBe(true);
    await screenshot(page, 'ramp-consent-page');
    await Promise.all([page.waitForURL((url) => url.href.startsWith(t.url)), page.getByRole('button', { name: 'Allow' }).click()]);

    await expect.poll(() => banner(page).textContent()).toContain('Ramp is connected');
    expect(await waitForStatus(page)).toBe('Connected');
    // The outcome query was removed from the address bar.
    expect(page.url()).toBe(`${t.url}/`);
    const details = page.locator('#connection-details');
    await expect.poll(() => details.textContent()).toContain('OAuth');
    const text = (await details.textContent()) ?? '';
    expect(text).toContain('Sandbox');
    expect(text).toContain('transactions:read');
    expect(text).toMatch(/Access token expires\s*in (59|60) minutes/);
    expect(await page.locator('#connection-details time').first().getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(await page.getByRole('button', { name: 'Connect with Ramp' }).isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Disconnect…' }).isVisible()).toBe(true);
    await screenshot(page, 'connected-oauth');

    const status = await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers });
    expect(status.body.status).toBe('connected');
    expect(status.body.auth_method).toBe('oauth');
  });

  it('Deny on Ramp’s consent page comes back with the reason in plain words', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    const page = await newPage(owner);
    await signIn(page, t.url, owner);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(t.emulator.url)), page.getByRole('button', { name: 'Connect with Ramp' }).click()]);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(t.url)), page.getByRole('button', { name: 'Deny' }).click()]);
    await expect.poll(() => banner(page).textContent()).toContain('Ramp access was denied');
    expect(await page.locator('#banner').getAttribute('aria-live')).toBe('polite');
    expect(page.url()).toBe(`${t.url}/`);
    expect(await waitForStatus(page)).toBe('Not connected');
    await screenshot(page, 'denied');
  });

  it('disconnects only after confirming in a dialog', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    await connectViaApi(owner);
    const revocationsBefore = (await emu.stats()).revocations;
    const page = await newPage(owner);
    await signIn(page, t.url, owner);
    expect(await badge(page).textContent()).toBe('Connected');

    await page.getByRole('button', { name: 'Disconnect…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Disconnect Ramp?' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    // Focus starts on the safe choice.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('disconnect-cancel');
    await screenshot(page, 'disconnect-dialog', { fullPage: false });
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await badge(page).textContent()).toBe('Connected');

    await page.getByRole('button', { name: 'Disconnect…' }).click();
    await page.getByRole('button', { name: 'Keep connected' }).click();
    expect(await badge(page).textContent()).toBe('Connected');

    await page.getByRole('button', { name: 'Disconnect…' }).click();
    await dialog.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await expect.poll(() => badge(page).textContent()).toBe('Not connected');
    expect(await banner(page).textContent()).toContain('Disconnected');
    expect(await page.getByRole('button', { name: 'Connect with Ramp' }).isVisible()).toBe(true);
    expect((await emu.stats()).revocations).toBeGreaterThan(revocationsBefore);
    await screenshot(page, 'disconnected');
  });

  it('connects with your own Ramp app: per-field 422, Ramp’s refusals in words, then success', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    const page = await newPage(owner);
    await signIn(page, t.url, owner);
    await page.getByRole('button', { name: 'Use my own Ramp app' }).click();
    const form = page.locator('#own-app');
    await expect.poll(() => form.isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Use my own Ramp app' }).getAttribute('aria-expanded')).toBe('true');
    expect(await form.textContent()).toContain('Ramp Dashboard → Company → Developer');
    // The emulator case: no Ramp Dashboard, the emulator's ready-made app instead.
    expect(await form.textContent()).toContain("use the emulator's ready-made app");
    expect(await form.textContent()).toContain('Client Credentials');
    const secret = page.getByLabel('Client Secret');
    expect(await secret.getAttribute('type')).toBe('password');
    expect(await secret.getAttribute('autocomplete')).toBe('off');
    expect(await page.getByLabel('Client ID').getAttribute('autocomplete')).toBe('off');
    const connect = form.getByRole('button', { name: 'Connect', exact: true });

    // Empty → FastAPI 422, one message under each field.
    await connect.click();
    await expect.poll(() => page.locator('#client-id-error').textContent()).toBe('String should have at least 1 character');
    expect(await page.locator('#client-secret-error').textContent()).toBe('String should have at least 1 character');
    expect(await page.getByLabel('Client ID').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'own-app-422');

    // A wrong secret → 400 explained inline; the secret field is cleared.
    const app = await emu.createApp({ grant_types: ['client_credentials'] });
    await page.getByLabel('Client ID').fill(app.client_id);
    await secret.fill('definitely-not-the-secret');
    await connect.click();
    const error = page.locator('#own-app-error');
    await expect.poll(() => error.textContent()).toContain('Ramp rejected the Client ID or Client Secret');
    expect(await error.getAttribute('role')).toBe('alert');
    expect(await secret.inputValue()).toBe('');
    expect(await page.locator('#client-id-error').isVisible()).toBe(false);
    await screenshot(page, 'own-app-wrong-secret');

    // An app without the Client Credentials grant → the fix, in words.
    const codeOnly = await emu.createApp({ grant_types: ['authorization_code'] });
    await page.getByLabel('Client ID').fill(codeOnly.client_id);
    await secret.fill(codeOnly.client_secret);
    await connect.click();
    await expect.poll(() => error.textContent()).toContain('Enable the "Client Credentials" grant type');

    // Ramp failing (one injected 503 at its token endpoint) → 502, said plainly; nothing saved.
    await emu.faults({ fail_next: 1, status: 503 });
    await page.getByLabel('Client ID').fill(app.client_id);
    await secret.fill(app.client_secret);
    await connect.click();
    await expect.poll(() => error.textContent()).toContain('Ramp is unreachable or failing right now; nothing was saved');
    expect(await badge(page).textContent()).toBe('Not connected');

    // The right pair connects.
    await page.getByLabel('Client ID').fill(app.client_id);
    await secret.fill(app.client_secret);
    await connect.click();
    await expect.poll(() => badge(page).textContent()).toBe('Connected');
    expect(await form.isVisible()).toBe(false);
    expect(await secret.inputValue()).toBe('');
    const details = (await page.locator('#connection-details').textContent()) ?? '';
    expect(details).toContain('Own credentials');
    expect(details).toContain(app.client_id);
    expect(details).not.toContain(app.client_secret);
    expect(await page.content()).not.toContain(app.client_secret);
    await screenshot(page, 'connected-own-app');
  });

  it('needs_reauth: a prominent Reconnect button that starts the Ramp sign-in (own app: new credentials)', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    await connectViaApi(owner);
    const markNeedsReauth = (authMethod: 'oauth' | 'client_credentials', reason: string) =>
      t.server.ctx.db.kysely
        .updateTable('ramp_connections')
        .set({ status: 'needs_reauth', status_reason: reason, last_error: reason, auth_method: authMethod })
        .where('business_id', '=', owner.businessId)
        .execute();
    const page = await newPage(owner);

    // An own-app connection whose credentials Ramp refuses: new credentials first, Ramp sign-in second.
    await markNeedsReauth('client_credentials', 'invalid_client');
    await signIn(page, t.url, owner);
    expect(await badge(page).textContent()).toBe('Needs re-authorization');
    const callout = page.locator('#reauth-callout');
    expect(await callout.textContent()).toContain('Ramp rejected the app credentials');
    const buttons = await callout.getByRole('button').allTextContents();
    expect(buttons).toEqual(['Enter new app credentials', 'Reconnect with Ramp sign-in']);
    await page.getByRole('button', { name: 'Enter new app credentials' }).click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('client-id');

    // An OAuth connection whose refresh was refused: one prominent Reconnect.
    await markNeedsReauth('oauth', 'invalid_grant');
    await page.reload();
    expect(await waitForStatus(page)).toBe('Needs re-authorization');
    expect(await callout.isVisible()).toBe(true);
    expect(await callout.textContent()).toContain('revoked or has expired');
    expect(await page.getByRole('button', { name: 'Enter new app credentials' }).isVisible()).toBe(false);
    const reconnect = page.getByRole('button', { name: 'Reconnect Ramp' });
    expect(await reconnect.getAttribute('class')).toContain('btn-primary');
    await screenshot(page, 'needs-reauth');
    await Promise.all([page.waitForURL((url) => url.href.startsWith(t.emulator.url)), reconnect.click()]);
    await expect.poll(() => page.getByRole('button', { name: 'Allow' }).isVisible()).toBe(true);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(t.url)), page.getByRole('button', { name: 'Allow' }).click()]);
    await expect.poll(() => badge(page).textContent()).toBe('Connected');
  });

  it('works at 375 px wide with no horizontal scrolling', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    const page = await newPage(owner, { width: 375, height: 812 });
    await page.goto(`${t.url}/`);
    await expect.poll(() => page.getByLabel('API token').isVisible()).toBe(true);
    expect(await horizontalOverflow(page)).toBe(0);
    await signIn(page, t.url, owner);
    expect(await horizontalOverflow(page)).toBe(0);
    await page.getByRole('button', { name: 'Use my own Ramp app' }).click();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect.poll(() => page.locator('#client-id-error').isVisible()).toBe(true);
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'mobile-own-app');

    await connectViaApi(owner);
    await page.reload();
    expect(await waitForStatus(page)).toBe('Connected');
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'mobile-connected');
    await page.getByRole('button', { name: 'Disconnect…' }).click();
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'mobile-disconnect-dialog', { fullPage: false });
  });

  it('keyboard: Tab reaches the connect buttons with a visible focus ring, Enter opens the form', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    const page = await newPage(owner);
    await signIn(page, t.url, owner);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const reached: string[] = [];
    for (let i = 0; i < 20 && !reached.includes('connect-oauth'); i++) {
      await page.keyboard.press('Tab');
      reached.push(await page.evaluate(() => document.activeElement?.id ?? document.activeElement?.tagName ?? ''));
    }
    expect(reached).toContain('connect-oauth');
    const ring = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement!);
      return { style: style.outlineStyle, width: parseFloat(style.outlineWidth), focusVisible: document.activeElement!.matches(':focus-visible') };
    });
    expect(ring.focusVisible).toBe(true);
    expect(ring.style).not.toBe('none');
    expect(ring.width).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'keyboard-focus');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('show-own-app');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('client-id');
  });

  it('a viewer sees the connection but none of the buttons that change it', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    await connectViaApi(owner);
    const viewer = await createTenant(t.server.ctx.db, 'viewer', { businessId: owner.businessId });
    const page = await newPage(viewer);
    await signIn(page, t.url, viewer);
    expect(await badge(page).textContent()).toBe('Connected');
    expect(await page.locator('#role-note').textContent()).toContain('only owners and admins can change it');
    for (const name of ['Disconnect…', 'Connect with Ramp', 'Use my own Ramp app', 'Sync now']) {
      expect(await page.getByRole('button', { name }).isVisible(), name).toBe(false);
    }
  });

  // --- sync and transactions: only once the data endpoints exist on this server ------------------

  async function syncViaApi(tenant: Tenant): Promise<void> {
    const started = await request(`${t.url}/api/v1/ramp/sync`, { method: 'POST', headers: tenant.headers, json: {} });
    expect(started.status, started.text).toBe(202);
    const id = started.body.sync_id as string;
    for (let i = 0; i < 300; i++) {
      const res = await request(`${t.url}/api/v1/ramp/syncs/${id}`, { headers: tenant.headers });
      if (res.body?.status === 'completed') return;
      if (res.body?.status === 'failed') throw new Error(`sync failed: ${res.text}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('sync did not finish');
  }

  it('Sync now shows live progress, then the transactions and the spend chart', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    await connectViaApi(owner);
    const page = await newPage(owner);
    await signIn(page, t.url, owner);
    await expect.poll(() => page.locator('#tx-empty').isVisible()).toBe(true);
    await emu.faults({ latency_ms: 40 });
    try {
      await page.getByRole('button', { name: 'Sync now' }).click();
      const progress = page.locator('#sync-progress');
      await expect.poll(() => progress.isVisible()).toBe(true);
      expect(await progress.getAttribute('aria-live')).toBe('polite');
      expect(await page.getByRole('button', { name: 'Sync now' }).isDisabled()).toBe(true);
      await screenshot(page, 'sync-in-progress');
      await expect.poll(() => page.locator('#sync-label').textContent(), { timeout: 30_000 }).toBe('Sync complete');
    } finally {
      await emu.faults({ latency_ms: 0 });
    }
    expect(await page.locator('#sync-bar').evaluate((bar: HTMLProgressElement) => bar.value)).toBe(100);
    await expect.poll(() => page.locator('#tx-body tr').count()).toBeGreaterThan(0);
    await expect.poll(async () => (await page.locator('#connection-details').textContent()) ?? '').not.toMatch(/Transactions synced\s*0\b/);
    expect(await page.locator('#tx-body').textContent()).toMatch(/\$\d/);
    expect(await page.locator('#chart svg rect').count()).toBeGreaterThan(1);
    await screenshot(page, 'sync-complete');
  });

  it('pages through transactions with Next/Previous and filters them by date', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    await connectViaApi(owner);
    await syncViaApi(owner);
    const page = await newPage(owner);
    await signIn(page, t.url, owner);
    const rows = page.locator('#tx-body tr');
    await expect.poll(() => rows.count()).toBe(25);
    const firstOnPage1 = await rows.first().textContent();
    expect(await page.getByRole('button', { name: '← Previous' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(() => page.locator('#page-info').textContent()).toMatch(/^26–50 of \d+$/);
    expect(await rows.first().textContent()).not.toBe(firstOnPage1);
    await page.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(() => page.locator('#page-info').textContent()).toMatch(/^51–\d+ of \d+$/);
    await screenshot(page, 'transactions-page-3');
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByRole('button', { name: '← Previous' }).click();
    await expect.poll(() => page.locator('#page-info').textContent()).toMatch(/^1–\d+ of \d+$/);
    expect(await rows.first().textContent()).toBe(firstOnPage1);

    // Filter to the day of the first row: every row shown is from that day.
    const day = ((await rows.first().locator('time').getAttribute('datetime')) ?? '').slice(0, 10);
    expect(day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await page.getByLabel('From', { exact: true }).fill(day);
    await page.getByLabel('To', { exact: true }).fill(day);
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => {
      const stamps = await page.locator('#tx-body time').evaluateAll((els) => els.map((el) => el.getAttribute('datetime')?.slice(0, 10)));
      return stamps.length > 0 && stamps.every((s) => s === day);
    }).toBe(true);
    expect(await page.locator('#page-info').textContent()).toMatch(/^1–\d+( of \d+)?$/);
    await screenshot(page, 'transactions-filtered');
  });

  it('a disconnect clears the old figures: no rows, chart, count or sync state, also after a reload', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    await connectViaApi(owner);
    await syncViaApi(owner);
    const page = await newPage(owner);
    await signIn(page, t.url, owner);
    await expect.poll(() => page.locator('#tx-body tr').count()).toBe(25);
    expect(await page.locator('#chart svg rect').count()).toBeGreaterThan(1);
    expect(await page.locator('#connection-details').textContent()).toMatch(/Transactions synced\s*[1-9]/);

    await page.getByRole('button', { name: 'Disconnect…' }).click();
    await page.getByRole('dialog', { name: 'Disconnect Ramp?' }).getByRole('button', { name: 'Disconnect', exact: true }).click();
    await expect.poll(() => badge(page).textContent()).toBe('Not connected');
    const leftovers = () =>
      page.evaluate(() => ({
        activityShown: !document.getElementById('activity')!.hidden,
        rows: document.querySelectorAll('#tx-body tr').length,
        bars: document.querySelectorAll('#chart-body rect').length,
        pageInfo: document.getElementById('page-info')!.textContent,
        details: document.getElementById('connection-details')!.textContent,
      }));
    expect(await leftovers()).toEqual({ activityShown: false, rows: 0, bars: 0, pageInfo: '', details: '' });
    await screenshot(page, 'disconnected-cleared');
    await page.reload();
    await expect.poll(() => badge(page).textContent()).toBe('Not connected');
    expect(await leftovers()).toEqual({ activityShown: false, rows: 0, bars: 0, pageInfo: '', details: '' });
  });
});
