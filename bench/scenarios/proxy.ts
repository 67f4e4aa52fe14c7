/**
 * (b) `GET /api/v1/ramp/proxy/{path}` through our server against the same call made directly to the
 * emulator with the connection's token, under the same autocannon load (emulator rate limit off).
 * A third figure, a bare forwarding proxy (bench/lib/bare-proxy.ts) on the same call, shows how much
 * of the gap any extra HTTP hop costs on this machine: load generator, proxy and emulator share its cores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/database.ts';
import { load, type LoadResult } from '../lib/load.ts';
import { type Proc, startBareProxy, startEmulatorProcess, startServer } from '../lib/processes.ts';
import { benchTenant, connectWithEmulatorApp, postJson } from '../lib/tenant.ts';
import { BENCH_KEYS } from './token-hot-path.ts';

/** `path` is under Ramp's /developer/v1, with its query (e.g. `/transactions?page_size=20`). */
export async function benchProxy(options: { durationS: number; connections: number; path: string; transactions?: number }): Promise<{ proxy: LoadResult; direct: LoadResult; bare: LoadResult; ratio: number; ratioToBare: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'rc-bench-proxy-'));
  const emulator = await startEmulatorProcess();
  await postJson(`${emulator.url}/__emulator/faults`, { rate_limit: false });
  if (options.transactions) await postJson(`${emulator.url}/__emulator/seed`, { transactions: options.transactions });
  const databaseUrl = `sqlite:${join(dir, 'db.sqlite')}`;
  // Both Ramp-side limits off: the emulator's, and our own per-connection ceiling under Ramp's 200/10 s,
  // which would otherwise hold the proxy at 18 req/s, as it must against real Ramp.
  const server = await startServer({ DATABASE_URL: databaseUrl, RAMP_ENV: 'emulator', RAMP_API_BASE_URL: emulator.url, ENCRYPTION_KEYS: BENCH_KEYS, DATA_DIR: dir, RAMP_RATE_LIMIT_PER_10S: '0' });
  const db = openDatabase(databaseUrl);
  let bareProxy: Proc | undefined;
  try {
    const tenant = await benchTenant(db, ['ramp:token']);
    await connectWithEmulatorApp(server.url, emulator.url, tenant.headers);
    const { access_token } = (await (await fetch(`${server.url}/api/v1/ramp/token`, { headers: tenant.headers })).json()) as { access_token: string };
    const proxyUrl = `${server.url}/api/v1/ramp/proxy${options.path}`;
    const directUrl = `${emulator.url}/sandbox/developer/v1${options.path}`;
    const direct = { authorization: `Bearer ${access_token}` };
    bareProxy = await startBareProxy(`${emulator.url}/sandbox/developer/v1`, access_token, options.path);
    const bareUrl = `${bareProxy.url}${options.path}`;
    await load(proxyUrl, { connections: 10, durationS: 1, headers: tenant.headers });
    await load(directUrl, { connections: 10, durationS: 1, headers: direct });
    await load(bareUrl, { connections: 10, durationS: 1 });
    const proxied = await load(proxyUrl, { connections: options.connections, durationS: options.durationS, headers: tenant.headers });
    const straight = await load(directUrl, { connections: options.connections, durationS: options.durationS, headers: direct });
    const bare = await load(bareUrl, { connections: options.connections, durationS: options.durationS });
    if (proxied.non2xx > 0 || proxied.errors > 0) throw new Error(`proxy failed under load: ${proxied.non2xx} non-2xx, ${proxied.errors} errors`);
    if (bare.non2xx > 0 || bare.errors > 0) throw new Error(`bare proxy failed under load: ${bare.non2xx} non-2xx, ${bare.errors} errors`);
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    return { proxy: proxied, direct: straight, bare, ratio: ratio(proxied.rps, straight.rps), ratioToBare: ratio(proxied.rps, bare.rps) };
  } finally {
    await db.close();
    await Promise.all([server.stop(), emulator.stop(), bareProxy?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
