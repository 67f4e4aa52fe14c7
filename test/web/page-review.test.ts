/**
 * The transactions view as a person sees it, in headless Chromium against the contract stub with 250
 * transactions and one $1,234,567.89 outlier: the chart keeps the other days readable and marks the cut
 * bar, the pager says "1–25 of 250", and nothing scrolls sideways from 320 px to 1280 px (the pager's
 * "Next →" included). Screenshots at 375 px and 1280 px go to test-artifacts/web/ for a visual review.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { webRoutes } from '../../src/web/routes.ts';
import { createTenant } from '../helpers/tenants.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { haveChromium, horizontalOverflow, launchChromium, openPage, screenshotter, signIn, type WebPage } from './browser.ts';
import { dataContractStub } from './data-contract-stub.ts';

const screenshot = screenshotter(70);
const OUTLIER_CENTS = 123_456_789;
// chart.js draws bars in a 168 px tall SVG with 22 px above and 26 px below the plot.
const PLOT_HEIGHT = 168 - 22 - 26;

describe.runIf(haveChromium)('web page review: outlier chart, paging text, no sideways scroll (contract stub)', () => {
  let t: TestApp;
  let browser: Browser;
  const open: WebPage[] = [];

  beforeAll(async () => {
    // Over 200 days, so a page of 25 spans about 20 days: a chart with many bars.
    const stub = dataContractStub({ transactions: 250, statusReads: 3, outlier: OUTLIER_CENTS, days: 200 });
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

  /** Signs a new owner in at this width, syncs, and waits for the first page of rows. */
  async function syncedPage(width: number): Promise<Page> {
    const w = await openPage(browser, { width, height: 900 });
    open.push(w);
    const owner = await createTenant(t.db, 'owner');
    await signIn(w.page, t.url, owner);
    await w.page.getByRole('button', { name: 'Sync now' }).click();
    await expect.poll(() => w.page.locator('#sync-label').textContent(), { timeout: 10_000 }).toBe('Sync complete');
    await expect.poll(() => w.page.locator('#tx-body tr').count()).toBe(25);
    return w.page;
  }

  const bars = (page: Page) =>
    page.locator('#chart svg rect').evaluateAll((els) =>
      els.map((el) => ({ cents: Number(el.getAttribute('data-cents')), height: Number(el.getAttribute('height')), outlier: el.classList.contains('chart-bar-outlier') })),
    );

  it('one outlier day is cut and marked; the other days keep readable bar heights', async () => {
    const page = await syncedPage(1280);
    const all = await bars(page);
    const cut = all.filter((b) => b.outlier);
    expect(cut).toHaveLength(1);
    expect(cut[0]!.cents).toBeGreaterThanOrEqual(OUTLIER_CENTS);
    expect(cut[0]!.height).toBe(PLOT_HEIGHT);
    expect(await page.locator('#chart svg .chart-break').count()).toBe(1);
    // Without the cut, $1.2M on the scale leaves every other day under 1 px (drawn at the 1.5 px floor).
    const others = all.filter((b) => !b.outlier && b.cents > 0);
    expect(others.length).toBeGreaterThan(3);
    const tallest = Math.max(...others.map((b) => b.height));
    expect(tallest).toBeGreaterThan(PLOT_HEIGHT / 2);
    expect(tallest).toBeLessThan(PLOT_HEIGHT);
    // Heights stay proportional among the days on the scale.
    const [a, b] = [others[0]!, others[1]!];
    if (a.height > 1.5 && b.height > 1.5) expect(a.height / b.height).toBeCloseTo(a.cents / b.cents, 1);
    expect(await page.locator('#chart-caption').textContent()).toMatch(/\(\$1,234,567\.89\) is above the scale: its bar is cut\./);
    // The scale's top is a round figure above the tallest day on it, not the outlier.
    expect(await page.locator('#chart svg .chart-label').first().textContent()).toMatch(/^\$[1-9](,?\d)*\.00$/);
    await screenshot(page, 'review-1280-outlier');
  });

  it('the scale rule: no cut for ordinary spread; an outlier is cut even with 2 or 3 days', async () => {
    const page = await syncedPage(1280);
    // The page's own module, loaded by the page itself (same origin, allowed by the CSP).
    // (A string, so vitest's transform leaves the dynamic import to the browser.)
    const scale = (cents: number[]): Promise<{ max: number; outliers: number[] }> =>
      page.evaluate(
        `import('/assets/chart.js').then(({ chartScale }) => {
          const { max, outliers } = chartScale(${JSON.stringify(cents)}.map((cents) => ({ day: 0, cents })));
          return { max, outliers: [...outliers] };
        })`,
      );
    expect(await scale([500, 90_000, 180_000, 40_000, 0])).toEqual({ max: 180_000, outliers: [] });
    expect(await scale([500, 3_000])).toEqual({ max: 3_000, outliers: [] });
    expect(await scale([50_000, OUTLIER_CENTS])).toEqual({ max: 80_000, outliers: [1] });
    expect(await scale([OUTLIER_CENTS, 10_000, 20_000])).toEqual({ max: 25_000, outliers: [0] });
    const many = await scale([1_000, 2_000, 3_000, 4_000, OUTLIER_CENTS, OUTLIER_CENTS]);
    expect(many.outliers).toEqual([4, 5]);
  });

  it('the pager reads "1–25 of 250" and counts on as it pages', async () => {
    const page = await syncedPage(1280);
    const info = page.locator('#page-info');
    await expect.poll(() => info.textContent()).toBe('1–25 of 250');
    await page.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(() => info.textContent()).toBe('26–50 of 250');
    await page.getByRole('button', { name: '← Previous' }).click();
    await expect.poll(() => info.textContent()).toBe('1–25 of 250');
  });

  it('the page and /docs load with no failed request, and /favicon.ico is there for them', async () => {
    const w = await openPage(browser);
    open.push(w);
    const failed: string[] = [];
    w.page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });
    for (const path of ['/', '/docs']) await w.page.goto(`${t.url}${path}`);
    // Headless Chromium does not ask for the icon by itself; a browser tab does.
    const icon = await w.page.goto(`${t.url}/favicon.ico`);
    expect(icon?.status()).toBe(200);
    expect(icon?.headers()['content-type']).toBe('image/x-icon');
    expect(failed).toEqual([]);
  });

  it('signing out leaves none of the account\'s figures in the page', async () => {
    const page = await syncedPage(1280);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByLabel('API token').isVisible()).toBe(true);
    const left = await page.evaluate(() => ({
      rows: document.querySelectorAll('#tx-body tr').length,
      bars: document.querySelectorAll('#chart-body rect').length,
      pageInfo: document.getElementById('page-info')!.textContent,
      syncDetail: document.getElementById('sync-detail')!.textContent,
    }));
    expect(left).toEqual({ rows: 0, bars: 0, pageInfo: '', syncDetail: '' });
  });

  for (const width of [320, 375, 1280]) {
    it(`fits ${width} px: no sideways scroll, the pager's buttons inside their row`, async () => {
      const page = await syncedPage(width);
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      const boxes = await page.evaluate(() => {
        const box = (id: string) => document.getElementById(id)!.getBoundingClientRect();
        const pager = document.getElementById('pager')!;
        return { pager: box('pager'), next: box('page-next'), prev: box('page-prev'), info: box('page-info'), scroll: pager.scrollWidth, client: pager.clientWidth, chart: box('chart-body'), svg: document.querySelector('#chart svg')!.getBoundingClientRect() };
      });
      expect(boxes.scroll).toBeLessThanOrEqual(boxes.client);
      expect(boxes.next.right).toBeLessThanOrEqual(boxes.pager.right + 0.5);
      expect(boxes.prev.left).toBeGreaterThanOrEqual(boxes.pager.left - 0.5);
      expect(boxes.svg.right).toBeLessThanOrEqual(boxes.chart.right + 0.5);
      // The range text stays on one line (an 18 px line at most, with slack for rounding).
      expect(boxes.info.height).toBeLessThan(30);
      if (width !== 320) await screenshot(page, `review-${width}`);
      // Close-ups of the parts that overflowed or flattened before, readable at phone size.
      if (width === 375) {
        for (const part of ['chart', 'pager']) await page.locator(`#${part}`).screenshot({ path: new URL(`../../test-artifacts/web/review-375-${part}.png`, import.meta.url).pathname });
      }
    });
  }
});
