/**
 * What the Ramp budget shared through PostgreSQL costs a proxied call (src/ramp/shared-rate-limiter.ts):
 * `serve` on PostgreSQL with the limit off (`RAMP_RATE_LIMIT_PER_10S=0`, no database work for it)
 * against the default 180 per 10 s (a `ramp_rate_take` round trip before each call, an answer stamp
 * after), under the same autocannon load spread over many connections, each well under its budget so
 * that nothing is held back: the difference is the hot path's own cost. Emulator rate limit off.
 *
 *   node bin/run-ts.js bench/shared-budget.ts [--connections 200] [--duration 5] [--rounds 2]
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { openDatabase } from '../src/db/database.ts';
import { startEmulatorProcess, startServer, type Proc } from './lib/processes.ts';
import { scratchDatabase } from './lib/scratch-db.ts';
import { benchTenant, connectWithEmulatorApp, postJson } from './lib/tenant.ts';
import { BENCH_KEYS } from './scenarios/token-hot-path.ts';

const { values } = parseArgs({ options: { connections: { type: 'string', default: '200' }, duration: { type: 'string', default: '5' }, rounds: { type: 'string', default: '2' } } });
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
