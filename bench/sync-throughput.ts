/**
 * Sync throughput: a full sync of N seeded emulator transactions (plus the demo business's small
 * resources) into a fresh database, with the emulator's rate limit and our local limiter off.
 * The emulator runs in a child process so its CPU and memory are not counted against the sync.
 * Target: ≥ 10,000 records/s and peak RSS ≤ 250 MB for 100,000 transactions.
 *
 *   node bin/run-ts.js bench/sync-throughput.ts [--dialect sqlite|postgres] [--transactions N] [--database-url URL]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openDatabase, type Dialect } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { NO_EVENTS } from '../src/events/event-sink.ts';
import { createLogger } from '../src/logging/logger.ts';
import { RampClient } from '../src/ramp/ramp-client.ts';
import { SyncService } from '../src/sync/sync-service.ts';
import { createBusiness } from '../src/tenancy/tenancy-repo.ts';
import { ClientCredentialsTokenProvider } from '../test/helpers/cc-token-provider.ts';

export interface BenchInput {
  dialect: 'sqlite' | 'postgres';
  transactions: number;
  /** SQLite: a file URL to use; PostgreSQL: a server URL on which a scratch database is created. */
  databaseUrl?: string;
}

export interface BenchResult {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  peakRssMb: number;
}

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');

async function startEmulatorProcess(): Promise<{ url: string; client_id: string; client_secret: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/ramp-connect.js'), 'emulator', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buffer = '';
  for await (const chunk of child.stdout!) {
    buffer += String(chunk);
    const line = buffer.split('\n').find((l) => l.trim().startsWith('{'));
    if (line) return { ...(JSON.parse(line) as { url: string; client_id: string; client_secret: string }), child };
  }
  throw new Error('the emulator process exited before printing its URL');
}

async function control(url: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${url}/__emulator${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`emulator ${path} → ${response.status} ${await response.text()}`);
}

async function scratchDatabase(dialect: Dialect, databaseUrl: string | undefined): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    if (databaseUrl) return { url: databaseUrl, drop: async () => {} };
    const dir = mkdtempSync(join(tmpdir(), 'rc-bench-'));
    return { url: `sqlite:${join(dir, 'bench.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const server = databaseUrl ?? process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!server?.startsWith('postgres')) throw new Error('postgres bench needs --database-url or TEST_DATABASE_URL');
  const name = `rc_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function benchSync(input: BenchInput): Promise<BenchResult> {
  const emulator = await startEmulatorProcess();
  const database = await scratchDatabase(input.dialect, input.databaseUrl);
  const db = openDatabase(database.url);
  try {
    await control(emulator.url, '/seed', { transactions: input.transactions });
    await control(emulator.url, '/faults', { rate_limit: false });
    await migrateToLatest(db);
    const business = await createBusiness(db.kysely, { name: 'Bench Co.' });
    const tokens = new ClientCredentialsTokenProvider();
    tokens.connect(business.id, { client_id: emulator.client_id, client_secret: emulator.client_secret, apiBaseUrl: `${emulator.url}/sandbox` });
    const log = createLogger('silent');
    const client = new RampClient(tokens, { rateLimit: false, log });
    const service = new SyncService({ db, client, tokens, events: NO_EVENTS, log, now: Date.now });

    let peakRss = process.memoryUsage.rss();
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 25);
    const started = performance.now();
    const result = await service.runToCompletion(business.id, 'manual');
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    if (result.status !== 'completed') throw new Error(`sync ${result.status}: ${result.error}`);
    const records = (JSON.parse(result.progress) as { records: number }).records;
    return { records, seconds: Math.round(seconds * 100) / 100, recordsPerSecond: Math.round(records / seconds), peakRssMb: Math.round(peakRss / 1048576) };
  } finally {
    await db.close();
    await database.drop();
    emulator.child.kill('SIGTERM');
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
  const dialect = (flag('dialect') ?? 'sqlite') as 'sqlite' | 'postgres';
  const transactions = Number(flag('transactions') ?? 100_000);
  const databaseUrl = flag('database-url');
  const result = await benchSync({ dialect, transactions, ...(databaseUrl ? { databaseUrl } : {}) });
  console.log(JSON.stringify({ dialect, transactions, ...result }));
}
