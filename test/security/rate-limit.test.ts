/**
 * Our API's own rate limits (docs/guarantees.md#g34): over the per-token or per-business
 * budget → 429 `rate_limited` with Retry-After; a flood from tenant A (a separate process) is turned
 * away while tenant B is served in full. Budgets refill at 1/s, so no test depends on how fast the
 * machine sends its burst; B's latency during the flood is printed, not asserted (speed is bench/'s job).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/database.ts';
import { request } from '../helpers/http.ts';
import { startServerProcess, type ServerProcess } from '../helpers/processes.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { TEST_ENCRYPTION_KEYS, freePort } from '../helpers/test-server.ts';

const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));
const FLOOD = fileURLToPath(new URL('./flood.ts', import.meta.url));
const RPS = 1;
const BURST = { token: 40, business: 60 };

/** n sequential calls; every answer must be 200. Returns the p95 latency, for the log only. */
async function servedInFull(url: string, headers: Record<string, string>, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers });
    await res.text();
    expect(res.status, `call ${i + 1} of ${n}`).toBe(200);
    times.push(performance.now() - started);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(n * 0.95)]!;
}

describe('API rate limits', () => {
  let dir: string;
  let server: ServerProcess;
  let db: Db;
  let a: Tenant;
  let b: Tenant;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rc-flood-'));
    const port = await freePort();
    const env = {
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      EMULATOR_PORT: String(await freePort()),
      ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      LOG_LEVEL: 'warn',
      // Bursts the tests can exceed at once, refilled at 1/s: a burst twice the size would have to take
      // 40 s or more to slip under the limit, whatever the machine's speed.
      RATE_LIMIT_TOKEN_RPS: String(RPS),
      RATE_LIMIT_TOKEN_BURST: String(BURST.token),
      RATE_LIMIT_BUSINESS_RPS: String(RPS),
      RATE_LIMIT_BUSINESS_BURST: String(BURST.business),
    };
    server = await startServerProcess(env);
    db = openDatabase(env.DATABASE_URL);
    a = await createTenant(db, 'owner');
    b = await createTenant(db, 'owner');
  });
  afterAll(async () => {
    await server?.stop();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 429 rate_limited with Retry-After past the per-token budget', async () => {
    const results = await Promise.all(Array.from({ length: 80 }, () => request(`${server.url}/api/v1/ramp/status`, { headers: a.headers })));
    const limited = results.filter((r) => r.status === 429);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(40);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.body).toEqual({ detail: expect.stringContaining('Too many requests'), code: 'rate_limited' });
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('limits a business across its tokens', async () => {
    const second = await createTenant(db, 'admin', { businessId: b.businessId });
    const third = await createTenant(db, 'member', { businessId: b.businessId });
    const results = await Promise.all(
      Array.from({ length: 90 }, (_, i) => request(`${server.url}/api/v1/ramp/status`, { headers: [b, second, third][i % 3]!.headers })),
    );
    // Each token stays under its own burst (30 < 40), but together they pass the business's 60.
    expect(results.filter((r) => r.status === 429).length).toBeGreaterThan(0);
  });

  it('a flood from tenant A is turned away while tenant B is served in full', async () => {
    const url = `${server.url}/api/v1/ramp/status`;
    // Fresh tenants: their own buckets, untouched by the tests above (no sleeping for a refill).
    const calm = await createTenant(db, 'owner');
    const flooder = await createTenant(db, 'owner');
    const served = await createTenant(db, 'owner');
    const baseline = await servedInFull(url, calm.headers, 30);
    const floodStarted = performance.now();
    const flood = spawn(process.execPath, [RUN_TS, FLOOD], { env: { ...process.env, URL: url, HEADERS: JSON.stringify(flooder.headers), DURATION_S: '6', CONNECTIONS: '10' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    flood.stdout.on('data', (d) => (out += d));
    const ended = new Promise((r) => flood.on('close', r));
    // The flood is on once the flooder's budget is spent (polling with its token spends only its budget).
    await expect.poll(async () => (await fetch(url, { headers: flooder.headers })).status, { timeout: 20_000 }).toBe(429);
    const during = await servedInFull(url, served.headers, 30);
    await ended;
    const floodSeconds = (performance.now() - floodStarted) / 1000;
    const summary = JSON.parse(out.trim()) as { requests: number; non2xx: number };
    // A got no more than its budget: the burst plus 1/s for as long as the flood lasted (measured here,
    // so a slow machine only widens the allowance), however many requests the machine managed to send.
    expect(summary.requests - summary.non2xx).toBeLessThanOrEqual(BURST.token + Math.ceil(floodSeconds * RPS));
    process.stdout.write(`B p95 ${baseline.toFixed(2)} ms before, ${during.toFixed(2)} ms during A's flood (A: ${summary.requests} requests, ${summary.non2xx} refused); latency is measured in bench/, not asserted here\n`);
  }, 60_000);
});
