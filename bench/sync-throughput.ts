/**
 * Sync throughput (issue 13): a full first sync with every resource of the product's config enabled —
 * N seeded emulator transactions and the other resources in the demo business's proportions
 * (`seedCountsFor`) — into a fresh database, run the way production runs it: `POST /api/v1/ramp/sync`
 * on a `serve` process started as `npm start` starts it (the bundle in dist/), connected over HTTP with
 * client credentials. The emulator's rate limit and our local limiter are off.
 *
 * Beside it, in the same run and on the same emulator data, a bare client (lib/bare-page-out.ts) pages
 * every list the sync reads with the same page size and concurrency and no database: the sync's
 * records/s is judged as a ratio to that (target ≥ 0.7). The bare read runs before and after the sync
 * and the faster counts (emulator warm-up then favours neither side).
 *
 * records/s is the sync's own started_at → finished_at. Peak RSS is the serve process's high-water mark
 * (VmHWM, kept by the kernel, read while the process still runs): the whole service, HTTP stack, token
 * runtime and schedulers included, and nothing of the bench or the emulator (each its own process).
 * Target: peak RSS ≤ 250 MB for 100,000 transactions, and the same for 1,000,000 (memory flat in the data).
 *
 *   node bin/run-ts.js bench/sync-throughput.ts [--dialect sqlite|postgres] [--transactions N]
 * BENCH_SYNC_FLAGS=sync_statements (comma-separated flags): only those resources beside the reference
 * data, on both sides (one stream's memory alone); BENCH_SYNC_TRACE=1: serve's RSS every ~10 s.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Dialect } from '../src/db/database.ts';
import { updateSyncConfig } from '../src/connections/sync-config.ts';
import { scopesForFlags, SYNC_CONFIG_FLAGS } from '../src/ramp/resource-descriptors.ts';
import { benchSyncConfig, barePageOut, emulatorAccessToken, type PageOutResult } from './lib/bare-page-out.ts';
import { cpuSecondsOf, peakRssMbOf, rssMbOf, writtenMbOf, startEmulatorProcess, startServer, type Proc } from './lib/processes.ts';
import { scratchDatabase } from './lib/scratch-db.ts';
import { benchTenant, connectWithEmulatorApp, postJson } from './lib/tenant.ts';
import { BENCH_KEYS } from './scenarios/token-hot-path.ts';

export interface BenchResult {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  peakRssMb: number;
  /** CPU seconds serve and the emulator used during the sync (a figure less noisy than time on a shared machine). */
  cpuSeconds: { serve: number; emulator: number };
  /** MB serve wrote (sockets and files: with SQLite mostly the WAL and its checkpoints) during the sync. */
  serveWrittenMb: number;
  /** CPU seconds the emulator used serving the bare client's second read. */
  bareEmulatorCpu: number;
  /** The bare client's page-out of the same data (the faster of its two reads). */
  bare: PageOutResult;
  /** Sync records/s ÷ bare page-out records/s. */
  ratio: number;
}

/** Records a window boundary may add to one reader's count and not the other's (one per boundary is plenty). */
const BOUNDARY_SLACK = 16;

/** The demo business's counts (emulator DEMO_COUNTS: 250 transactions) scaled to `transactions`, within the emulator's bounds. */
export function seedCountsFor(transactions: number): Record<string, number> {
  const factor = transactions / 250;
  const scaled = (demo: number, max: number) => Math.max(1, Math.min(max, Math.round(demo * factor)));
  return {
    transactions,
    reimbursements: scaled(40, 200_000),
    bills: scaled(30, 200_000),
    users: scaled(12, 10_000),
    cards: scaled(20, 50_000),
    departments: scaled(5, 1_000),
    locations: scaled(3, 1_000),
    vendors: scaled(25, 50_000),
  };
}

export async function benchSync(dialect: Dialect, transactions: number): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rc-bench-sync-'));
  const database = await scratchDatabase(dialect);
  let emulator: Proc | undefined;
  let server: Proc | undefined;
  try {
    emulator = await startEmulatorProcess();
    for (const [path, body] of [['/seed', seedCountsFor(transactions)], ['/faults', { rate_limit: false }]] as const) {
      const res = await postJson(`${emulator.url}/__emulator${path}`, body);
      if (!res.ok) throw new Error(`emulator ${path} → ${res.status} ${await res.text()}`);
    }
    server = await startServer({ DATABASE_URL: database.url, RAMP_ENV: 'emulator', RAMP_API_BASE_URL: emulator.url, ENCRYPTION_KEYS: BENCH_KEYS, DATA_DIR: dir, RAMP_RATE_LIMIT_PER_10S: '0' });
    const db = openDatabase(database.url);
    const config = benchSyncConfig();
    const tenant = await benchTenant(db);
    await updateSyncConfig(db.kysely, tenant.businessId, Object.fromEntries(SYNC_CONFIG_FLAGS.map((flag) => [flag, config[flag]])), Date.now()).finally(() => db.close());
    const scopes = scopesForFlags(config);
    await connectWithEmulatorApp(server.url, emulator.url, tenant.headers, scopes);
    const bareToken = await emulatorAccessToken(emulator.url, scopes);
    const bareBefore = await barePageOut(emulator.url, bareToken);

    const cpuBefore = { serve: cpuSecondsOf(server.child.pid!), emulator: cpuSecondsOf(emulator.child.pid!) };
    const writtenBefore = writtenMbOf(server.child.pid!);
    const started = await postJson(`${server.url}/api/v1/ramp/sync`, {}, tenant.headers);
    if (started.status !== 202) throw new Error(`sync request failed: ${started.status} ${await started.text()}`);
    const { sync_id } = (await started.json()) as { sync_id: string };
    const serverPid = server.child.pid!;
    const sync = await waitForSync(`${server.url}/api/v1/ramp/syncs/${sync_id}`, tenant.headers, (view) => {
      // BENCH_SYNC_TRACE=1: serve's RSS as the sync moves through the resources (stderr, every ~10 s).
      if (process.env.BENCH_SYNC_TRACE) console.error(JSON.stringify({ at: new Date().toISOString(), records: view.progress.records, rssMb: rssMbOf(serverPid), peakRssMb: peakRssMbOf(serverPid) }));
    });
    const peakRssMb = Math.round(peakRssMbOf(server.child.pid!));
    const serveWrittenMb = writtenMbOf(server.child.pid!) - writtenBefore;
    const cpuSeconds = { serve: Math.round((cpuSecondsOf(server.child.pid!) - cpuBefore.serve) * 10) / 10, emulator: Math.round((cpuSecondsOf(emulator.child.pid!) - cpuBefore.emulator) * 10) / 10 };
    if (sync.status !== 'completed') throw new Error(`sync ${sync.status}: ${sync.error}`);
    const seconds = (Date.parse(sync.finished_at) - Date.parse(sync.started_at)) / 1000;
    const records = sync.progress.records;
    if (process.env.BENCH_SYNC_RESOURCES) console.error(JSON.stringify(Object.fromEntries(Object.entries(sync.progress.resources ?? {}).map(([k, v]) => [k, v.records]))));
    const emulatorBefore = cpuSecondsOf(emulator.child.pid!);
    const bareAfter = await barePageOut(emulator.url, bareToken);
    const bareEmulatorCpu = Math.round((cpuSecondsOf(emulator.child.pid!) - emulatorBefore) * 10) / 10;
    const bare = bareAfter.recordsPerSecond > bareBefore.recordsPerSecond ? bareAfter : bareBefore;
    // Not exact: the transaction windows are anchored on each reader's own start (segments.ts), and a
    // record on a window boundary is read twice, so a few records either way are expected.
    if (Math.abs(bare.records - records) > BOUNDARY_SLACK) throw new Error(`the bare client read ${bare.records} records, the sync stored ${records}: they no longer read the same lists`);
    const recordsPerSecond = Math.round(records / seconds);
    return { records, seconds: Math.round(seconds * 100) / 100, recordsPerSecond, peakRssMb, cpuSeconds, serveWrittenMb, bareEmulatorCpu, bare, ratio: Math.round((recordsPerSecond / bare.recordsPerSecond) * 100) / 100 };
  } finally {
    await Promise.all([server?.stop(), emulator?.stop()]);
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface SyncView {
  status: string;
  error: string | null;
  started_at: string;
  finished_at: string;
  progress: { records: number; resources?: Record<string, { records: number }> };
}

/** Polls the sync every 250 ms: a few cheap requests against a sync of seconds. */
async function waitForSync(url: string, headers: Record<string, string>, every10s?: (view: SyncView) => void): Promise<SyncView> {
  for (let polls = 1; ; polls++) {
    const res = await fetch(url, { headers });
    if (res.status !== 200) throw new Error(`GET sync → ${res.status} ${await res.text()}`);
    const view = (await res.json()) as SyncView;
    if (view.status === 'completed' || view.status === 'failed') return view;
    if (polls % 40 === 0) every10s?.(view);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

/** True when this file is the program (bin/run-ts.js removes it from argv, so /proc's copy is checked too). */
function isEntry(): boolean {
  const self = fileURLToPath(import.meta.url);
  const candidates = [process.argv[1]];
  try {
    candidates.push(...readFileSync('/proc/self/cmdline', 'utf8').split('\0'));
  } catch {
    // not Linux: argv only
  }
  return candidates.some((candidate) => candidate !== undefined && candidate.endsWith('.ts') && resolve(candidate) === self);
}

if (isEntry()) {
  const dialect = (flag('dialect') ?? 'sqlite') as Dialect;
  const transactions = Number(flag('transactions') ?? 100_000);
  console.log(JSON.stringify({ dialect, transactions, ...(await benchSync(dialect, transactions)) }));

}
