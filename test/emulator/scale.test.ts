/**
 * Scale: 100,000 transactions seed (time printed, not asserted) and page out completely without the process RSS
 * growing past 300 MB (records are stored column-wise and materialised per page).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { EmulatorClient } from './helpers.ts';

const BIG_BUSINESS = '9a9a9a9a-1b1b-4c2c-8d3d-4e4e4e4e4e4e';
const COUNT = 100_000;
const MB = 1024 * 1024;

let emulator: RunningEmulator;
let client: EmulatorClient;
let token: string;

beforeAll(async () => {
  const started = performance.now();
  emulator = await startEmulator({ port: 0 });
  console.info(`startEmulator: ${(performance.now() - started).toFixed(0)} ms`);
  client = new EmulatorClient(emulator);
  await client.faults({ rate_limit: false });
});
afterAll(() => emulator.close());

describe('100k transactions', () => {
  // Times are printed, not asserted: speed is measured in bench/, never by a test on a shared machine.
  it('seeds 100k transactions', async () => {
    const started = performance.now();
    const { status, body } = await client.control('POST', '/seed', { business_id: BIG_BUSINESS, transactions: COUNT, seed: 42 });
    const elapsed = performance.now() - started;
    console.info(`seed ${COUNT} transactions: ${elapsed.toFixed(0)} ms over HTTP (${body.duration_ms} ms in the emulator), rss ${(process.memoryUsage().rss / MB).toFixed(0)} MB`);
    expect(status).toBe(200);
    const app = await client.createApp({ business_id: BIG_BUSINESS, grant_types: ['client_credentials'] });
    token = await client.clientCredentialsToken(app, 'transactions:read');
  });

  it('page out fully (page_size 100, every state) with RSS under 300 MB', async () => {
    const ids = new Set<string>();
    let next: string | null = `${emulator.url}/sandbox/developer/v1/transactions?state=ALL&page_size=100`;
    let pages = 0;
    let maxRss = process.memoryUsage().rss;
    let previousTime = '9999';
    const started = performance.now();
    while (next !== null) {
      const response: Response = await fetch(next, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      const page = (await response.json()) as { data: { id: string; user_transaction_time: string }[]; page: { next: string | null } };
      for (const item of page.data) {
        ids.add(item.id);
        expect(item.user_transaction_time <= previousTime).toBe(true);
        previousTime = item.user_transaction_time;
      }
      next = page.page.next;
      if (++pages % 50 === 0) maxRss = Math.max(maxRss, process.memoryUsage().rss);
    }
    maxRss = Math.max(maxRss, process.memoryUsage().rss);
    console.info(`paged ${ids.size} transactions in ${pages} pages: ${(performance.now() - started).toFixed(0)} ms, max rss ${(maxRss / MB).toFixed(0)} MB`);
    expect(ids.size).toBe(COUNT);
    expect(pages).toBe(COUNT / 100);
    expect(maxRss).toBeLessThan(300 * MB);
  }, 180_000);

  it('a date-filtered page holds only that range (binary-searched date range, keyset start)', async () => {
    const started = performance.now();
    const response = await client.api('sandbox', '/transactions?from_date=2026-03-01T00:00:00Z&to_date=2026-03-02T00:00:00Z&page_size=100', token);
    expect(response.status).toBe(200);
    expect(response.body.data.every((item: any) => item.user_transaction_time >= '2026-03-01T00:00:00Z' && item.user_transaction_time <= '2026-03-02T00:00:00Z')).toBe(true);
    console.info(`filtered page: ${(performance.now() - started).toFixed(0)} ms`);
  });
});
