/**
 * @module Event-to-record latency of Ramp webhooks: the emulator and our server as separate processes
 * (SQLite), one connection with an active subscription, 1,000 `transactions.authorized` events from
 * 20 mutations of 50 (each after the previous burst is stored). Latency of one record = its
 * `first_synced_at` minus the start of the mutation that emitted its event: Ramp's delivery, our
 * receiver, the worker's fetch by id and the upsert.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/database.ts';
import { startEmulatorProcess, startServer } from '../lib/processes.ts';
import { benchTenant, connectWithEmulatorApp, postJson } from '../lib/tenant.ts';
import { BENCH_KEYS } from './token-hot-path.ts';

const BURSTS = 20;
const PER_BURST = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function benchRampWebhooks(): Promise<{ events: number; p50Ms: number; p99Ms: number; maxMs: number; eventsPerSecond: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'rc-bench-webhooks-'));
  const emulator = await startEmulatorProcess();
  await postJson(`${emulator.url}/__emulator/faults`, { rate_limit: false });
  const databaseUrl = `sqlite:${join(dir, 'db.sqlite')}`;
  const server = await startServer({ DATABASE_URL: databaseUrl, RAMP_ENV: 'emulator', RAMP_API_BASE_URL: emulator.url, ENCRYPTION_KEYS: BENCH_KEYS, DATA_DIR: dir, RAMP_RATE_LIMIT_PER_10S: '0' });
  const db = openDatabase(databaseUrl);
  try {
    const tenant = await benchTenant(db);
    await connectWithEmulatorApp(server.url, emulator.url, tenant.headers);
    for (let i = 0; ; i++) {
      const row = await db.kysely.selectFrom('ramp_webhook_subscriptions').select(['status', 'ramp_business_id']).where('business_id', '=', tenant.businessId).executeTakeFirst();
      if (row?.status === 'active') break;
      if (i > 600) throw new Error(`subscription not active: ${row?.status}`);
      await sleep(50);
    }
    const latencies: number[] = [];
    const started = performance.now();
    for (let burst = 0; burst < BURSTS; burst++) {
      const at = Date.now();
      const mutated = (await (await postJson(`${emulator.url}/__emulator/mutate`, { resource: 'transactions', kind: 'create', count: PER_BURST })).json()) as { ids: string[] };
      for (let i = 0; ; i++) {
        const rows = await db.kysely.selectFrom('ramp_records').select(['id', 'first_synced_at']).where('business_id', '=', tenant.businessId).where('id', 'in', mutated.ids).execute();
        if (rows.length === mutated.ids.length) {
          for (const row of rows) latencies.push(Number(row.first_synced_at) - at);
          break;
        }
        if (i > 6000) throw new Error(`burst ${burst}: ${rows.length} of ${mutated.ids.length} stored`);
        await sleep(5);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return { events: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies[latencies.length - 1]!, eventsPerSecond: Math.round(latencies.length / seconds) };
  } finally {
    await db.close();
    await Promise.all([server.stop(), emulator.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
