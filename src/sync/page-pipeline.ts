/**
 * @module Moves pages from Ramp to storage: several keyset chains (segments) fetched concurrently
 * into a small read-ahead buffer, drained by one writer that stores every page waiting when it starts
 * a commit (group commit).
 *
 * Why: each Ramp list page needs the previous page's `page.next` (docs/ramp-behaviour.md#pagination), so one chain is a sequence of
 * round trips; storage (SQLite with synchronous=FULL in particular) is cheapest in larger
 * transactions. Bounded: at most `READ_AHEAD_PAGES` pages, and `READ_AHEAD_BYTES` of prepared records
 * (beyond one page), wait in memory. A fetch error stops the
 * other chains at their next page, lets the writer store what already arrived, then is rethrown; a
 * storage error stops the fetchers.
 */
import type { KeptArrays } from '../ramp/endpoints/list-page.ts';
import type { CallOptions, RampClient } from '../ramp/ramp-client.ts';
import type { ListParams, RampListResource, RampPage } from '../ramp/resources.ts';

/** Pages fetched ahead of storage, and the most stored in one transaction (~10 MB at 100 records a page). */
export const READ_AHEAD_PAGES = 32;
/**
 * Prepared bytes waiting for storage beyond which fetchers pause: pages are ~100–200 KB (32 of them
 * stay under it); a bound in bytes keeps memory flat should records be larger than usual. (A
 * statement's lines, which grow with the business, never wait here: they are stored in parts while
 * the page is read, src/sync/record-parts.ts.)
 */
export const READ_AHEAD_BYTES = 8 * 1024 * 1024;
/** Chains read at once (unless the stream says fewer: segments.ts `segmentConcurrency`). */
export const SEGMENT_CONCURRENCY = 4;
/**
 * A commit waits, up to 20 × 15 ms, for this many pages. Larger commits write each index page once for
 * more records: a 100k-transaction sync into SQLite went from 5.0–5.2k to 5.7–6.4k records/s with 16
 * pages instead of 4 (bench/sync-throughput.ts, A/B in one session; PostgreSQL unchanged). Against real
 * Ramp (our limiter: 18 pages/s) fetching is the bound, and a commit goes out every 300 ms at most.
 * 8 chains instead of 4 added nothing.
 */
const MIN_BATCH_PAGES = 16;
const BATCH_WAIT_MS = 15;
const MAX_BATCH_WAITS = 20;

export type SegmentStart = { readonly resource: RampListResource; readonly params: ListParams } | { readonly next: string };

export interface FetchedPage<T> {
  /** Index of the segment the page belongs to (pages of one segment arrive in order). */
  readonly segment: number;
  /** Ramp's `page.next`: null on the segment's last page. */
  readonly next: string | null;
  /** What `prepare` made of the page's records. */
  readonly items: T;
  /** `weigh(items)`: what the page holds in memory while it waits. */
  readonly bytes: number;
}

export interface PumpInput<T> {
  readonly client: RampClient;
  readonly businessId: string;
  readonly segments: readonly { readonly index: number; readonly start: SegmentStart }[];
  readonly callOptions: CallOptions;
  /**
   * Turns a page's records into what `store` writes, as soon as the page arrives: the work then
   * runs while the previous batch is being written (with PostgreSQL that is another process).
   */
  prepare(records: RampPage['records']): T;
  /** About how many bytes `items` hold (counted against `READ_AHEAD_BYTES`). */
  weigh(items: T): number;
  /** Array fields of each record streamed to storage in parts (resource-descriptors.ts `storedApart`). */
  readonly kept?: KeptArrays;
  /** Chains read at once; default `SEGMENT_CONCURRENCY`. */
  readonly concurrency?: number;
  /** Stores one batch; the next batch is not handed over before this resolves. */
  store(batch: readonly FetchedPage<T>[]): Promise<void>;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function pumpPages<T>(input: PumpInput<T>): Promise<void> {
  const { client, businessId, callOptions } = input;
  const queue = [...input.segments];
  const buffer: FetchedPage<T>[] = [];
  let bufferedBytes = 0;
  const full = () => buffer.length >= READ_AHEAD_PAGES || (buffer.length > 0 && bufferedBytes >= READ_AHEAD_BYTES);
  let fetchers = 0;
  let storing = true;
  let fetchError: unknown;
  // Fetchers and the writer wait on one another; any change wakes every waiter to re-check.
  let waiters: (() => void)[] = [];
  const notify = () => {
    const woken = waiters;
    waiters = [];
    for (const resolve of woken) resolve();
  };
  const changed = () => new Promise<void>((resolve) => waiters.push(resolve));
  const stopping = () => !storing || fetchError !== undefined;

  const fetchSegment = async (segment: { index: number; start: SegmentStart }) => {
    for await (const page of client.pages(businessId, segment.start, callOptions, input.kept)) {
      const items = input.prepare(page.records);
      const bytes = input.weigh(items);
      buffer.push({ segment: segment.index, next: page.next, items, bytes });
      bufferedBytes += bytes;
      notify();
      while (!stopping() && full()) await changed();
      if (stopping()) return;
    }
  };
  const fetcher = async () => {
    fetchers++;
    try {
      for (let segment = queue.shift(); segment !== undefined && !stopping(); segment = queue.shift()) await fetchSegment(segment);
    } catch (error) {
      fetchError ??= error;
    } finally {
      fetchers--;
      notify();
    }
  };
  const running = Array.from({ length: Math.min(input.concurrency ?? SEGMENT_CONCURRENCY, queue.length) }, () => fetcher());

  let waits = 0;
  try {
    for (;;) {
      if (buffer.length === 0) {
        if (fetchers === 0) break;
        await changed();
        continue;
      }
      if (buffer.length < MIN_BATCH_PAGES && bufferedBytes < READ_AHEAD_BYTES && fetchers > 0 && waits < MAX_BATCH_WAITS) {
        waits++;
        await Promise.race([changed(), delay(BATCH_WAIT_MS)]);
        continue;
      }
      waits = 0;
      const batch = buffer.splice(0, READ_AHEAD_PAGES);
      for (const page of batch) bufferedBytes -= page.bytes;
      notify();
      await input.store(batch);
    }
  } finally {
    storing = false;
    notify();
  }
  await Promise.all(running);
  if (fetchError !== undefined) throw fetchError;
}
