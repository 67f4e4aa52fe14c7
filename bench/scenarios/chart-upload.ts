/**
 * Chart of accounts up (issue 16): `PUT /api/v1/ramp/accounting/chart` with N GL accounts on a `serve`
 * process started as `npm start` starts it, connected over HTTP with client credentials, until its
 * job finishes (after an unmeasured warm-up PUT of one account); then the same PUT again (nothing to write). Ramp calls are counted by the emulator.
 * Baseline, in the same run: a bare client posting the same N accounts to the emulator in batches of
 * 500 on another API connection (no reads, no diff, no database). The emulator's rate limit and ours
 * are off, so the figure is the service's own cost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dialect } from '../../src/db/database.ts';
import { startEmulatorProcess, startServer, type Proc } from '../lib/processes.ts';
import { scratchDatabase } from '../lib/scratch-db.ts';
import { benchTenant, connectWithEmulatorApp, postJson } from '../lib/tenant.ts';
import { openDatabase } from '../../src/db/database.ts';
import { BENCH_KEYS } from './token-hot-path.ts';

export interface ChartUploadResult {
  accounts: number;
  seconds: number;
  rampCalls: number;
  rampWrites: number;
  repeatSeconds: number;
  repeatWrites: number;
  repeatCalls: number;
  bareSeconds: number;
  ratio: number;
}

interface Stats {
  endpoints: Record<string, number>;
}

async function emulatorCalls(emulatorUrl: string): Promise<{ calls: number; writes: number }> {
  const stats = (await (await fetch(`${emulatorUrl}/__emulator/stats`)).json()) as Stats;
  let calls = 0;
  let writes = 0;
  for (const [key, count] of Object.entries(stats.endpoints)) {
    if (!key.includes('/developer/v1/') || key.includes('/token')) continue;
    calls += count;
    if (!key.startsWith('GET ')) writes += count;
  }
  return { calls, writes };
}

async function waitForJob(url: string, headers: Record<string, string>): Promise<{ status: string; started_at: string; finished_at: string; progress: unknown }> {
  for (;;) {
    const res = await fetch(url, { headers });
    if (res.status !== 200) throw new Error(`GET job → ${res.status} ${await res.text()}`);
    const view = (await res.json()) as { status: string; started_at: string; finished_at: string; progress: unknown };
    if (['completed', 'partial', 'failed'].includes(view.status)) return view;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function putChart(server: Proc, headers: Record<string, string>, body: unknown): Promise<{ seconds: number }> {
  const started = performance.now();
  const res = await fetch(`${server.url}/api/v1/ramp/accounting/chart`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`PUT chart → ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  const job = await waitForJob(`${server.url}/api/v1/ramp/accounting/chart/jobs/${id}`, headers);
  if (job.status !== 'completed') throw new Error(`chart job ${job.status}: ${JSON.stringify(job.progress).slice(0, 300)}`);
  return { seconds: (performance.now() - started) / 1000 };
}

export async function benchChartUpload(dialect: Dialect, accounts: number): Promise<ChartUploadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rc-bench-chart-'));
  const database = await scratchDatabase(dialect);
  let emulator: Proc | undefined;
  let server: Proc | undefined;
  try {
    emulator = await startEmulatorProcess();
    await postJson(`${emulator.url}/__emulator/faults`, { rate_limit: false });
    server = await startServer({ DATABASE_URL: database.url, RAMP_ENV: 'emulator', RAMP_API_BASE_URL: emulator.url, ENCRYPTION_KEYS: BENCH_KEYS, DATA_DIR: dir, RAMP_RATE_LIMIT_PER_10S: '0' });
    const db = openDatabase(database.url);
    const tenant = await benchTenant(db).finally(() => db.close());
    await connectWithEmulatorApp(server.url, emulator.url, tenant.headers, ['business:read', 'accounting:read', 'accounting:write']);
    const chart = {
      gl_accounts: Array.from({ length: accounts }, (_, i) => ({ id: `gl-${i}`, name: `Account ${i}`, classification: 'EXPENSE', code: String(10_000 + i) })),
      vendors: [],
      custom_fields: [],
    };
    // Warm-up (not measured): replaces the emulator's seeded chart with one account, so the measured
    // PUT is the upload itself, on a process whose code paths and token are warm like the bare client's.
    await putChart(server, tenant.headers, { gl_accounts: [{ id: 'warm-up', name: 'Warm-up', classification: 'EXPENSE' }], vendors: [], custom_fields: [] });
    await fetch(`${emulator.url}/__emulator/stats`, { method: 'DELETE' });
    const first = await putChart(server, tenant.headers, chart);
    const firstCalls = await emulatorCalls(emulator.url);
    await fetch(`${emulator.url}/__emulator/stats`, { method: 'DELETE' });
    const repeat = await putChart(server, tenant.headers, chart);
    const repeatCalls = await emulatorCalls(emulator.url);

    // The bare client: a new API connection on another business, then 500-item POSTs only.
    const business = (await (await postJson(`${emulator.url}/__emulator/seed`, { business_id: crypto.randomUUID(), transactions: 1 })).json()) as { business_id: string };
    const app = (await (await postJson(`${emulator.url}/__emulator/apps`, { business_id: business.business_id, grant_types: ['client_credentials'] })).json()) as { client_id: string; client_secret: string };
    const token = await bareToken(emulator.url, app, ['accounting:read', 'accounting:write']);
    const base = `${emulator.url}/sandbox/developer/v1/accounting/accounts`;
    const bareStarted = performance.now();
    for (let i = 0; i < accounts; i += 500) {
      const res = await fetch(base, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ gl_accounts: chart.gl_accounts.slice(i, i + 500) }) });
      if (res.status !== 201) throw new Error(`bare upload → ${res.status} ${await res.text()}`);
    }
    const bareSeconds = (performance.now() - bareStarted) / 1000;
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      accounts,
      seconds: round(first.seconds),
      rampCalls: firstCalls.calls,
      rampWrites: firstCalls.writes,
      repeatSeconds: round(repeat.seconds),
      repeatWrites: repeatCalls.writes,
      repeatCalls: repeatCalls.calls,
      bareSeconds: round(bareSeconds),
      ratio: round(bareSeconds / first.seconds),
    };
  } finally {
    await Promise.all([server?.stop(), emulator?.stop()]);
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A client-credentials token of an app bound to one emulator business. */
async function bareToken(emulatorUrl: string, app: { client_id: string; client_secret: string }, scopes: readonly string[]): Promise<string> {
  const res = await fetch(`${emulatorUrl}/sandbox/developer/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: scopes.join(' ') }).toString(),
  });
  if (res.status !== 200) throw new Error(`emulator token → ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
