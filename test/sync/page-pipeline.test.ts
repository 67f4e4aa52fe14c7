/**
 * The page pipeline's memory bound (issue 13): pages wait for storage up to a number of pages and a
 * number of bytes, so one huge page (a statement lists every line of its period) does not let the
 * fetchers pile up more. Pure pipeline logic: the pages come from an in-memory source shaped like
 * `RampClient.pages`.
 */
import { describe, expect, it } from 'vitest';
import type { RampClient } from '../../src/ramp/ramp-client.ts';
import type { RampPage } from '../../src/ramp/resources.ts';
import { pumpPages, READ_AHEAD_BYTES, READ_AHEAD_PAGES, type FetchedPage } from '../../src/sync/page-pipeline.ts';

/** `segments` chains of `pages` pages each; every page one record of `bytes` bytes. */
function source(pagesPerSegment: number, bytes: number, fetched: { count: number }): RampClient {
  return {
    async *pages(_business: string, from: { next: string } | { params: { seg: string } }) {
      const segment = 'next' in from ? from.next : from.params.seg;
      for (let i = 0; i < pagesPerSegment; i++) {
        fetched.count++;
        await new Promise((resolve) => setImmediate(resolve));
        yield { records: [{ id: `${segment}-${i}`, size: bytes }], next: i + 1 < pagesPerSegment ? `${segment}` : null } as unknown as RampPage;
      }
    },
  } as unknown as RampClient;
}

async function run(pagesPerSegment: number, bytes: number, concurrency?: number) {
  const fetched = { count: 0 };
  let maxWaiting = { pages: 0, bytes: 0 };
  const stored: string[] = [];
  await pumpPages<{ id: string; size: number }[]>({
    client: source(pagesPerSegment, bytes, fetched),
    businessId: 'b',
    callOptions: {},
    segments: [0, 1, 2, 3].map((index) => ({ index, start: { resource: 'transactions', params: { seg: String(index) } as never } })),
    prepare: (records) => records as unknown as { id: string; size: number }[],
    weigh: (items) => items.reduce((sum, item) => sum + item.size, 0),
    ...(concurrency !== undefined ? { concurrency } : {}),
    store: async (batch: readonly FetchedPage<{ id: string; size: number }[]>[]) => {
      const waiting = { pages: batch.length, bytes: batch.reduce((sum, page) => sum + page.bytes, 0) };
      maxWaiting = { pages: Math.max(maxWaiting.pages, waiting.pages), bytes: Math.max(maxWaiting.bytes, waiting.bytes) };
      for (const page of batch) stored.push(...page.items.map((item) => item.id));
      await new Promise((resolve) => setTimeout(resolve, 5));
    },
  });
  return { stored, maxWaiting, fetched: fetched.count };
}

describe('page pipeline', () => {
  it('stores every page once, at most READ_AHEAD_PAGES small pages to a batch', async () => {
    const { stored, maxWaiting } = await run(50, 100);
    expect(new Set(stored).size).toBe(200);
    expect(stored).toHaveLength(200);
    expect(maxWaiting.pages).toBeLessThanOrEqual(READ_AHEAD_PAGES);
  });

  it('large pages: fetchers stop once READ_AHEAD_BYTES wait, so a batch holds at most that plus one page per fetcher', async () => {
    const big = Math.ceil(READ_AHEAD_BYTES / 4);
    const { stored, maxWaiting } = await run(10, big);
    expect(stored).toHaveLength(40);
    // Each of the 4 fetchers may add its page after the others filled the budget.
    expect(maxWaiting.bytes).toBeLessThan(READ_AHEAD_BYTES + 4 * big);
    const one = await run(10, big, 1);
    expect(one.stored).toHaveLength(40);
    expect(one.maxWaiting.bytes).toBeLessThanOrEqual(READ_AHEAD_BYTES + big);
  });
});
