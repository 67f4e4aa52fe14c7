/**
 * What the Ramp budget shared through PostgreSQL costs a proxied call (src/ramp/shared-rate-limiter.ts):
 * `serve` on PostgreSQL with the limit off (`RAMP_RATE_LIMIT_PER_10S=0`, no database work for it)
 * against the default 180 per 10 s (a `ramp_rate_take` round trip before each call, an answer stamp
 * after), under the same autocannon load spread over many connections, each well under its budget so
 * that nothing is held back: the difference is the hot path's own cost. Emulator rate limit off.
 *
 * `--admissions` measures the window alone, without HTTP: sequential admissions (latency of one
 * `ramp_rate_take` and its answer stamp) and 50 concurrent callers over 100 connections (admissions/s).
 *
 *   node bin/run-ts.js bench/shared-budget.ts [--connections 200] [--duration 5] [--rounds 2] [--admissions]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { openDatabase } from '../src/db/database.ts';
import { SharedLimiterRegistry } from '../src/ramp/shared-rate-limiter.ts';
import { createBusiness } from '../src/tenancy/tenancy-repo.ts';
import { openTestDb } from '../test/helpers/test-db.ts';
import { startEmulatorProcess, startServer, type Proc } from './lib/processes.ts';
import { scratchDatabase } from './lib/scratch-db.ts';
import { benchTenant, connectWithEmulatorApp, postJson } from './lib/tenant.ts';
import { BENCH_KEYS } from './scenarios/token-hot-path.ts';

const { values } = parseArgs({
  options: { connections: { type: 'string', default: '200' }, duration: { type: 'string', default: '5' }, rounds: { type: 'string', default: '2' }, admissions: { type: 'boolean', default: false } },
});
const CONNECTIONS = Number(values.connections);
const DURATION_S = Number(values.duration);
// Ramp's window: a round must not meet the budget the previous one spent.
const WINDOW_MS = 10_000;

async function loadOver(url: string, tenants: { headers: Record<string, string> }[], durationS: number) {
  let next = 0;
  const result = await autocannon({
    url,
    connections: 50,
    duration: durationS,
    requests: [
      {
        setupRequest: (request: Record<string, unknown>) => {
          const tenant = tenants[next++ % tenants.length]!;
          return { ...request, headers: { ...(request.headers as Record<string, string>), ...tenant.headers } };
        },
      },
    ],
  });
  return { rps: Math.round(result.requests.average), p50Ms: result.latency.p50, p99Ms: result.latency.p99, non2xx: result.non2xx, errors: result.errors + result.timeouts, total: result.requests.total };
}

/** The shared window's own cost: one process, 100 connection rows, no HTTP. */
async function admissions(): Promise<void> {
  const { db, cleanup } = await openTestDb('postgres');
  try {
    const rows: { id: string; business_id: string }[] = [];
    for (let i = 0; i < 100; i++) {
      const businessId = (await createBusiness(db.kysely, { name: `bench ${i}` })).id;
      const id = randomUUID();
      const now = Date.now();
      await db.kysely
        .insertInto('ramp_connections')
        .values({
          id, business_id: businessId, environment: 'sandbox', auth_method: 'client_credentials', status: 'connected', status_reason: null, scopes: '', client_id: 'c',
          data_key: Buffer.from([1]), data_key_kid: 'k', access_token: null, refresh_token: null, client_secret: null, access_token_expires_at: null, last_refreshed_at: null,
          version: 0, lease_owner: null, lease_until: null, refresh_attempt_id: null, refresh_attempt_at: null, refresh_failures: 0, next_refresh_at: null, last_error: null,
          last_error_at: null, created_by_token_id: null, created_at: now, updated_at: now,
        })
        .execute();
      rows.push({ id, business_id: businessId });
    }
    const registry = new SharedLimiterRegistry(db, { limit: 180, windowMs: WINDOW_MS }, { staleMs: 40_000 });
    const latencies: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      const row = rows[i % rows.length]!;
      const started = performance.now();
      const answered = await registry.for(row.id, row.business_id).acquire();
      latencies.push(performance.now() - started);
      answered();
    }
    latencies.sort((a, b) => a - b);
    await new Promise((r) => setTimeout(r, WINDOW_MS + 1_000));
    // 150 per connection: under the 180 budget, so nothing waits for the window.
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 50 }, async (_, worker) => {
        for (let i = 0; i < 300; i++) {
          const row = rows[(worker * 300 + i) % rows.length]!;
          (await registry.for(row.id, row.business_id).acquire())();
        }
      }),
    );
    const perSecond = Math.round(15_000 / ((performance.now() - started) / 1000));
    console.log(JSON.stringify({ sequential_acquire_p50_ms: Number(latencies[500]!.toFixed(2)), sequential_acquire_p99_ms: Number(latencies[990]!.toFixed(2)), concurrent_admissions_per_s: perSecond }));
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await cleanup();
  }
}

if (values.admissions) {
  await admissions();
  process.exit(0);
}

const database = await scratchDatabase('postgres');
const emulator = await startEmulatorProcess();
let server: Proc | undefined;
try {
  await postJson(`${emulator.url}/__emulator/faults`, { rate_limit: false });
  const env = { DATABASE_URL: database.url, RAMP_ENV: 'emulator', RAMP_API_BASE_URL: emulator.url, ENCRYPTION_KEYS: BENCH_KEYS };
  server = await startServer({ ...env, RAMP_RATE_LIMIT_PER_10S: '0' });
  const db = openDatabase(database.url);
  const tenants = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const tenant = await benchTenant(db);
    await connectWithEmulatorApp(server.url, emulator.url, tenant.headers, ['business:read']);
    tenants.push(tenant);
  }
  await db.close();
  const figures: Record<string, unknown>[] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const limit of ['0', '180']) {
      await server.stop();
      server = await startServer({ ...env, RAMP_RATE_LIMIT_PER_10S: limit });
      const url = `${server.url}/api/v1/ramp/proxy/business`;
      await loadOver(url, tenants, 1);
      const measured = await loadOver(url, tenants, DURATION_S);
      figures.push({ round, limiter: limit === '0' ? 'off' : 'shared (PostgreSQL)', ...measured });
      console.log(JSON.stringify(figures.at(-1)));
      await new Promise((r) => setTimeout(r, WINDOW_MS));
    }
  }
} finally {
  await Promise.all([server?.stop(), emulator.stop()]);
  await database.drop();
}
