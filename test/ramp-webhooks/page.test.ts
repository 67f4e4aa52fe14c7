/**
 * The page shows the Ramp webhook subscription (docs/guarantees.md#ramp-webhooks): headless Chromium
 * against our real server and the emulator.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/test-server.ts';
import { haveChromium, launchChromium, openPage, signIn } from '../web/browser.ts';
import { connectTenant, control, startWebhookServer, subscriptionRow, waitActive, waitFor } from './helpers.ts';

describe.runIf(haveChromium)('web page: Ramp real-time updates', () => {
  let t: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    [t, browser] = await Promise.all([startWebhookServer('sqlite'), launchChromium()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows the subscription as on, and the last Ramp event', async () => {
    const tenant = await connectTenant(t);
    await waitActive(t, tenant);
    await control(t, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'create', count: 1 });
    await waitFor('an event received', async () => (await subscriptionRow(t, tenant.businessId))?.last_event_at ?? undefined);
    const w = await openPage(browser);
    await signIn(w.page, t.url, tenant);
    await expect.poll(async () => (await w.page.locator('#connection-details').textContent()) ?? '', { timeout: 15_000 }).toMatch(/Real-time updates\s*On: Ramp sends changes as they happen/);
    expect(await w.page.locator('#connection-details').textContent()).toMatch(/Last Ramp event/);
    expect(w.console.filter((line) => line.startsWith('pageerror'))).toEqual([]);
    await w.context.close();
  });
});
