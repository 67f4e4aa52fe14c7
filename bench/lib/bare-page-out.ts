/**
 * @module The sync's baseline: a bare client paging the emulator with no database (issue 13).
 *
 * It reads exactly what a sync with every resource enabled reads — the same streams (sync-plan.ts, in
 * the same order), the same date-window segments of transactions (segments.ts), the same page size
 * and the same number of chains at once (page-pipeline.ts) — follows `page.next`, parses each page and
 * throws the records away. What separates the sync from this figure is then its own work: projecting,
 * hashing, writing, committing. Records are counted as the sync counts them (a bill without a payment
 * is no bill-payment), so the two records/s compare the same reads.
 */
import { DEFAULT_SYNC_CONFIG, type SyncConfig } from '../../src/connections/sync-config.ts';
import { SYNC_CONFIG_FLAGS } from '../../src/ramp/resource-descriptors.ts';
import { planSegments, segmentConcurrency } from '../../src/sync/segments.ts';
import { planSync, type SyncStream } from '../../src/sync/sync-plan.ts';
import { DEFAULT_RUNNER_SETTINGS } from '../../src/sync/sync-runner.ts';

/** Where the emulator serves the sandbox environment, which a connection's apps default to (src/config/config.ts). */
const SANDBOX = '/sandbox';

export interface PageOutResult {
  records: number;
  pages: number;
  seconds: number;
  recordsPerSecond: number;
}

/**
 * The sync configuration with every resource flag of the product's config turned on, or only those
 * named in `BENCH_SYNC_FLAGS` (comma-separated, e.g. `sync_statements`: one stream's cost alone).
 */
export function benchSyncConfig(): SyncConfig {
  const only = process.env.BENCH_SYNC_FLAGS?.split(',').map((flag) => flag.trim());
  return { ...DEFAULT_SYNC_CONFIG, ...Object.fromEntries(SYNC_CONFIG_FLAGS.map((flag) => [flag, only ? only.includes(flag) : true])) };
}

interface Page {
  data?: Record<string, unknown>[];
  page?: { next?: string | null };
}

/** Pages every list the all-resources sync reads from `emulatorUrl` with `accessToken`, discarding the records. */
export async function barePageOut(emulatorUrl: string, accessToken: string): Promise<PageOutResult> {
  const base = `${emulatorUrl}${SANDBOX}/developer/v1`;
  const headers = { authorization: `Bearer ${accessToken}`, accept: 'application/json' };
  const pageSize = DEFAULT_RUNNER_SETTINGS.pageSize;
  let records = 0;
  let pages = 0;
  const getJson = async (url: string): Promise<Page> => {
    const res = await fetch(url, { headers });
    if (res.status !== 200) throw new Error(`GET ${url} → ${res.status} ${await res.text()}`);
    pages++;
    return (await res.json()) as Page;
  };
  const readChain = async (stream: SyncStream, first: string) => {
    const derive = stream.descriptor.derive;
    for (let url: string | null = first; url !== null; ) {
      const page: Page = await getJson(url);
      const data = page.data ?? [];
      records += derive ? data.filter((record) => derive(record) !== null).length : data.length;
      url = page.page?.next ?? null;
    }
  };

  const started = performance.now();
  for (const stream of planSync(benchSyncConfig()).streams) {
    if (stream.descriptor.rampPath === 'business') {
      await getJson(`${base}/business`);
      records++;
      continue;
    }
    // A first sync reads a `synced_after` stream from its own start (sync-runner.ts): only what was
    // synced since, so the bare client asks the same.
    const syncedAfter = stream.incrementalFilter === 'synced_after' ? { synced_after: new Date(Date.now() - DEFAULT_RUNNER_SETTINGS.overlapMs).toISOString() } : {};
    const urls = planSegments(stream, Date.now(), null).map((segment) => {
      const url = new URL(`${base}/${stream.descriptor.rampPath}`);
      const params = { ...stream.params, ...syncedAfter, page_size: pageSize, ...(segment.from ? { from_date: segment.from } : {}), ...(segment.to ? { to_date: segment.to } : {}) };
      for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
      return url.href;
    });
    const chains = Array.from({ length: Math.min(segmentConcurrency(stream), urls.length) }, async () => {
      for (let url = urls.shift(); url !== undefined; url = urls.shift()) await readChain(stream, url);
    });
    await Promise.all(chains);
  }
  const seconds = (performance.now() - started) / 1000;
  return { records, pages, seconds: Math.round(seconds * 100) / 100, recordsPerSecond: Math.round(records / seconds) };
}

/** A client-credentials token for a new emulator app, with `scopes`. */
export async function emulatorAccessToken(emulatorUrl: string, scopes: readonly string[]): Promise<string> {
  const appRes = await fetch(`${emulatorUrl}/__emulator/apps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_types: ['client_credentials'] }) });
  const app = (await appRes.json()) as { client_id: string; client_secret: string };
  const res = await fetch(`${emulatorUrl}${SANDBOX}/developer/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: scopes.join(' ') }).toString(),
  });
  if (res.status !== 200) throw new Error(`emulator token → ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
