/**
 * The page's sync and transaction UI in headless Chromium against a stand-in for those endpoints built
 * from the README's contract (data-contract-stub.ts): the live progress bar, paging with a cursor stack,
 * the date filter (sent as date-time bounds), money by currency, the inline-SVG spend chart, and 375 px.
 * The same flows against the real endpoints are in web.test.ts (run once those endpoints exist).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { webRoutes } from '../../src/web/routes.ts';
import { createTenant } from '../helpers/tenants.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { haveChromium, horizontalOverflow, launchChromium, openPage, screenshotter, signIn, type WebPage } from './browser.ts';
import { dataContractStub, type DataStub } from './data-contract-stub.ts';

const screenshot = screenshotter(50);

describe.runIf(haveChromium)('web page: sync and transactions UI (contract stub)', () => {
  let t: TestApp;
  let stub: DataStub;
  let browser: Browser;
  const open: WebPage[] = [];

  beforeAll(async () => {
    stub = dataContractStub({ transactions: 60, statusReads: 8 });
    [t, browser] = await Promise.all([startTestApp('sqlite', [webRoutes, stub.routes]), launchChromium()]);
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

  it('Sync now: a live progress bar, then the count, the table and the chart', async () => {
    const owner = await createTenant(t.db, 'owner');
    const page = await newPage();
    await signIn(page, t.url, owner);
    await expect.poll(() => page.locator('#tx-empty').isVisible()).toBe(true);
    expect(await page.locator('#activity-note').isVisible()).toBe(false);

    await page.getByRole('button', { name: 'Sync now' }).click();
    const bar = page.locator('#sync-bar');
    // The bar moves: some value strictly between 0 and 100 is seen before completion.
    await expect.poll(() => bar.evaluate((el: HTMLProgressElement) => (el.hasAttribute('value') ? el.value : -1))).toBeGreaterThan(0);
    const midway = await bar.evaluate((el: HTMLProgressElement) => el.value);
    expect(midway).toBeLessThan(100);
    expect(await page.locator('#sync-label').textContent()).toMatch(/^Syncing… \d+%$/);
    expect(await page.locator('#sync-detail').textContent()).toMatch(/records so far/);
    expect(await page.getByRole('button', { name: 'Sync now' }).isDisabled()).toBe(true);
    await screenshot(page, 'stub-sync-in-progress');

    await expect.poll(() => page.locator('#sync-label').textContent(), { timeout: 10_000 }).toBe('Sync complete');
    expect(await bar.evaluate((el: HTMLProgressElement) => el.value)).toBe(100);
    expect(await page.locator('#sync-detail').textContent()).toBe('60 records fetched · 60 new or changed');
    await expect.poll(() => page.locator('#tx-body tr').count()).toBe(25);
    expect(await page.locator('#connection-details').textContent()).toMatch(/Transactions synced\s*60/);
    expect(await page.locator('#connection-details').textContent()).toMatch(/Last sync\s*just now/);
    expect(await page.getByRole('button', { name: 'Sync now' }).isEnabled()).toBe(true);
    // Money in integer cents, formatted by currency; the chart has a bar per day of the page.
    const body = (await page.locator('#tx-body').textContent()) ?? '';
    expect(body).toContain('$5.00');
    expect(body).toMatch(/€[\d,]+\.\d{2}/);
    expect(body).toContain('-$42.50');
    const chart = page.locator('#chart svg');
    expect(await chart.getAttribute('role')).toBe('img');
    expect(await chart.getAttribute('aria-label')).toMatch(/^Spend per day: \$[\d,.]+ over \d+ days; highest/);
    expect(await page.locator('#chart svg rect').count()).toBeGreaterThan(3);
    expect(await page.locator('#chart-caption').textContent()).toContain('(USD)');
    await screenshot(page, 'stub-sync-complete');
  });

  it('pages with Next/Previous (cursor stack) and filters by date', async () => {
    const owner = await createTenant(t.db, 'owner');
    const page = await newPage();
    await signIn(page, t.url, owner);
    await page.getByRole('button', { name: 'Sync now' }).click();
    await expect.poll(() => page.locator('#sync-label').textContent(), { timeout: 10_000 }).toBe('Sync complete');
    const rows = page.locator('#tx-body tr');
    const info = page.locator('#page-info');
    const prev = page.getByRole('button', { name: '← Previous' });
    const next = page.getByRole('button', { name: 'Next →' });
    await expect.poll(() => info.textContent()).toBe('1–25 of 60');
    const first = await rows.first().textContent();
    expect(await prev.isDisabled()).toBe(true);
    await next.click();
    await expect.poll(() => info.textContent()).toBe('26–50 of 60');
    await next.click();
    await expect.poll(() => info.textContent()).toBe('51–60 of 60');
    expect(await next.isDisabled()).toBe(true);
    await screenshot(page, 'stub-page-3');
    await prev.click();
    await expect.poll(() => info.textContent()).toBe('26–50 of 60');
    await prev.click();
    await expect.poll(() => info.textContent()).toBe('1–25 of 60');
    expect(await rows.first().textContent()).toBe(first);
    const cursors = stub.calls.filter((c) => c.url.startsWith('/api/v1/ramp/transactions')).map((c) => new URL(c.url, t.url).searchParams.get('cursor'));
    expect(cursors.slice(-4)).toEqual([expect.any(String), expect.any(String), expect.any(String), null]);

    // A reversed range is refused on the page; a one-day range shows only that day, from page 1.
    await next.click();
    await expect.poll(() => info.textContent()).toBe('26–50 of 60');
    await page.getByLabel('From', { exact: true }).fill('2026-09-30');
    await page.getByLabel('To', { exact: true }).fill('2026-09-01');
    await page.getByRole('button', { name: 'Apply' }).click();
    expect(await page.locator('#filter-error').textContent()).toBe('The start date must be on or before the end date.');
    await page.getByLabel('To', { exact: true }).fill('2026-09-30');
    await page.getByRole('button', { name: 'Apply' }).click();
    // Filtered, all on one page: the count is exact (the synced total would be wrong here).
    await expect.poll(() => info.textContent()).toMatch(/^1–([1-9]\d*) of \1$/);
    const days = await page.locator('#tx-body time').evaluateAll((els) => els.map((el) => el.getAttribute('datetime')?.slice(0, 10)));
    expect(days.length).toBeGreaterThan(0);
    expect(new Set(days)).toEqual(new Set(['2026-09-30']));
    const last = stub.calls.filter((c) => c.url.startsWith('/api/v1/ramp/transactions')).at(-1)!;
    const params = new URL(last.url, t.url).searchParams;
    expect(params.get('from_date')).toBe('2026-09-30T00:00:00.000Z');
    expect(params.get('to_date')).toBe('2026-09-30T23:59:59.999Z');
    expect(params.get('cursor')).toBeNull();
    await screenshot(page, 'stub-filtered');

    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => info.textContent()).toBe('1–25 of 60');
  });

  it('the transactions view fits 375 px with no horizontal scrolling', async () => {
    const owner = await createTenant(t.db, 'owner');
    const page = await newPage({ width: 375, height: 812 });
    await signIn(page, t.url, owner);
    await page.getByRole('button', { name: 'Sync now' }).click();
    await expect.poll(() => page.locator('#sync-label').textContent(), { timeout: 10_000 }).toBe('Sync complete');
    await expect.poll(() => page.locator('#tx-body tr').count()).toBe(25);
    expect(await horizontalOverflow(page)).toBe(0);
    const svgWidth = await page.locator('#chart svg').evaluate((el) => el.getBoundingClientRect().width);
    expect(svgWidth).toBeLessThanOrEqual(375);
    await screenshot(page, 'stub-mobile-transactions');
  });
});
