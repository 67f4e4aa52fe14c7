/**
 * (c) Stampede: 1,000 concurrent callers of `GET /api/v1/ramp/token` on an expired auth-code token,
 * spread over 2 server processes sharing one PostgreSQL database → Ramp refresh calls (must be 1) and
 * the callers' p99 wait.
 */
import { openDatabase } from '../../src/db/database.ts';
import { freePort, startEmulatorProcess, startServer } from '../lib/processes.ts';
import { scratchDatabase } from '../lib/scratch-db.ts';
import { benchTenant } from '../lib/tenant.ts';
import { BENCH_KEYS } from './token-hot-path.ts';
import { TestBrowser } from '../../test/helpers/test-browser.ts';

export interface StampedeResult {
  callers: number;
  replicas: number;
  refreshCalls: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
}

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export async function benchStampede(callers: number): Promise<StampedeResult> {
  const scratch = await scratchDatabase('postgres');
  const emulator = await startEmulatorProcess();
  const ports = [await freePort(), await freePort()];
  const servers: Awaited<ReturnType<typeof startServer>>[] = [];
  const db = openDatabase(scratch.url);
  try {
    await post(`${emulator.url}/__emulator/faults`, { rate_limit: false });
    const app = (await (await post(`${emulator.url}/__emulator/apps`, { redirect_uris: ports.map((p) => `http://127.0.0.1:${p}/api/v1/ramp/callback`) })).json()) as { client_id: string; client_secret: string };
    const env = { DATABASE_URL: scratch.url, RAMP_ENV: 'emulator', RAMP_API_BASE_URL: emulator.url, RAMP_CLIENT_ID: app.client_id, RAMP_CLIENT_SECRET: app.client_secret, ENCRYPTION_KEYS: BENCH_KEYS, REFRESH_INTERVAL_MS: '0' };
    for (const port of ports) servers.push(await startServer(env, port));
    const tenant = await benchTenant(db, ['ramp:token']);
    // Connect through the real redirect flow.
    const start = (await (await fetch(`${servers[0]!.url}/api/v1/ramp/connect-url`, { headers: tenant.headers })).json()) as { connect_url: string };
    await post(`${emulator.url}/__emulator/consent`, { decision: 'approve', role: 'admin' });
    // A browser: the connect URL is our launch route, which binds the flow to the browser with a cookie.
    const browser = new TestBrowser();
    const callback = (await browser.openConnectUrl(start.connect_url)).headers.get('location')!;
    const done = await browser.fetch(callback);
    if (!done.headers.get('location')?.includes('ramp=connected')) throw new Error(`OAuth connect failed: ${done.status}`);
    await db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: Date.now() - 1 }).where('business_id', '=', tenant.businessId).execute();

    const stats = async () => ((await (await fetch(`${emulator.url}/__emulator/stats`)).json()) as { grants: { refresh_token: number } }).grants.refresh_token;
    const before = await stats();
    const latencies: number[] = [];
    let failures = 0;
    await Promise.all(
      Array.from({ length: callers }, async (_, i) => {
        const started = performance.now();
        const res = await fetch(`${servers[i % servers.length]!.url}/api/v1/ramp/token`, { headers: tenant.headers });
        await res.text();
        latencies.push(performance.now() - started);
        if (res.status !== 200) failures++;
      }),
    );
    const sorted = latencies.sort((a, b) => a - b);
    const pick = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    return { callers, replicas: servers.length, refreshCalls: (await stats()) - before, failures, p50Ms: pick(0.5), p99Ms: pick(0.99) };
  } finally {
    await db.close();
    await Promise.all([...servers.map((s) => s.stop()), emulator.stop()]);
    await scratch.drop();
  }
}
