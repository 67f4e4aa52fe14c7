/**
 * The HTML consent page in headless Chromium, driven by keyboard only: Allow and Deny are labelled
 * buttons reachable with Tab, and Allow lands on the client's redirect URI with a code.
 * Runs when Chromium is found (CHROMIUM_PATH, default /usr/bin/chromium); with CI=true a missing
 * browser is a failure, never a silent skip (README.md#two-commands).
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { EmulatorClient } from './helpers.ts';

const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);

describe.runIf(!haveChromium && process.env.CI === 'true')('browser prerequisites', () => {
  it('Chromium is installed in CI', () => {
    expect(haveChromium, `Chromium not found at ${chromiumPath}`).toBe(true);
  });
});

describe.runIf(haveChromium)('consent page in headless Chromium', () => {
  let emulator: RunningEmulator;
  let client: EmulatorClient;
  let callbackServer: Server;
  let redirectUri: string;
  let clientId: string;
  let browser: import('playwright-core').Browser;

  beforeAll(async () => {
    callbackServer = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('callback reached'));
    await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
    emulator = await startEmulator({ port: 0 });
    client = new EmulatorClient(emulator);
    clientId = (await client.createApp({ redirect_uris: [redirectUri], name: 'Browser Test App' })).client_id;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await emulator?.close();
    await new Promise<void>((resolve) => callbackServer?.close(() => resolve()));
  });

  const authorizeUrl = (state: string) =>
    `${emulator.url}/sandbox/v1/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'transactions:read', state })}`;

  it('Allow, pressed with the keyboard, redirects with a code and the state', async () => {
    const page = await browser.newPage();
    await page.goto(authorizeUrl('browser-state'));
    const allow = page.getByRole('button', { name: 'Allow' });
    await expect.poll(() => allow.isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Deny' }).isVisible()).toBe(true);
    expect(await page.getByLabel('Business').isVisible()).toBe(true);
    await allow.focus();
    await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectUri)), page.keyboard.press('Enter')]);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('code')).toBeTruthy();
    expect(landed.searchParams.get('state')).toBe('browser-state');
    await page.close();
  });

  it('Deny, reached with Tab, redirects with access_denied', async () => {
    const page = await browser.newPage();
    await page.goto(authorizeUrl('deny-state'));
    await page.getByRole('button', { name: 'Allow' }).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Deny');
    await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectUri)), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');
    await page.close();
  });
});
