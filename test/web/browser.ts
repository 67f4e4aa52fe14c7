/**
 * @module Headless Chromium for the web page tests (Debian's `/usr/bin/chromium` driven by
 * `playwright-core`; never `playwright install`), numbered screenshots under `test-artifacts/web/`,
 * and the page-level steps the tests share (sign in, read the status badge, check for overflow).
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Tenant } from '../helpers/tenants.ts';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveChromium = existsSync(chromiumPath);

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

const ARTIFACTS = new URL('../../test-artifacts/web/', import.meta.url);

/**
 * A screenshot function saving `test-artifacts/web/NN-step.png` (full page), numbered from `first` so
 * test files running in parallel do not share numbers.
 */
export function screenshotter(first: number): (page: Page, step: string, options?: { fullPage?: boolean }) => Promise<string> {
  let next = first;
  return async (page, step, options = {}) => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = new URL(`${String(next++).padStart(2, '0')}-${step}.png`, ARTIFACTS);
    // A modal dialog is drawn over the viewport, so dialog steps are viewport shots.
    await page.screenshot({ path: file.pathname, fullPage: options.fullPage ?? true });
    return file.pathname;
  };
}

export interface WebPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every URL the page requested (to prove the token never appears in one). */
  readonly requestedUrls: string[];
  /** Browser console output and page errors. */
  readonly console: string[];
}

export async function openPage(browser: Browser, options: { width?: number; height?: number } = {}): Promise<WebPage> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1100, height: options.height ?? 900 }, locale: 'en-US', timezoneId: 'UTC' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const requestedUrls: string[] = [];
  const consoleLines: string[] = [];
  page.on('request', (request) => requestedUrls.push(request.url()));
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
  return { context, page, requestedUrls, console: consoleLines };
}

/** Loads the page and signs in with the tenant's token; returns once the status badge has settled. */
export async function signIn(page: Page, baseUrl: string, tenant: Tenant): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('API token').fill(tenant.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForStatus(page);
}

export async function waitForStatus(page: Page): Promise<string> {
  const badge = page.locator('#status-badge');
  await page.waitForFunction(() => {
    const text = document.querySelector('#status-badge')?.textContent ?? '';
    return text !== '' && text !== 'Checking…';
  });
  return (await badge.textContent()) ?? '';
}

/** Document wider than the viewport = horizontal scrolling. */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}
