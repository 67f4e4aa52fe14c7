/**
 * One Ramp budget across replicas (issue 17, docs/guarantees.md#g27 at scale): Ramp allows 200 requests per
 * rolling 10 s per connection wherever they come from. 3 real `serve` processes on one PostgreSQL,
 * each with the default ceiling (`RAMP_RATE_LIMIT_PER_10S=180`), proxy 600 calls of one connection
 * spread over them, all sent at once, against the emulator's real limit (200 per 10 s): 0 refused by
 * Ramp, all 600 answered. With a per-process limiter the three would send 540 in the first window.
 * Meanwhile another tenant's call is not queued behind that connection's line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/database.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { emulatorControl, type EmulatorApp } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { startServerProcess, type ServerProcess } from '../helpers/processes.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { TEST_ENCRYPTION_KEYS, freePort } from '../helpers/test-server.ts';

const CALLS = 600;

describe.runIf(DIALECTS.includes('postgres'))('postgres: one Ramp budget per connection across 3 replicas', () => {
  let database: TestDatabase;
  let emulator: RunningEmulator;
  let db: Db;
  const replicas: ServerProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    emulator = await startEmulator({ port: 0 });
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      replicas.push(
        await startServerProcess({
          DATABASE_URL: database.url,
          RAMP_ENV: 'emulator',
          RAMP_API_BASE_URL: emulator.url,
          ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
          PORT: String(port),
          PUBLIC_URL: `http://127.0.0.1:${port}`,
          LOG_LEVEL: 'warn',
          REFRESH_INTERVAL_MS: '0',
          // Our own API limits would refuse 600 requests of one token before Ramp's budget is reached.
          RATE_LIMIT_TOKEN_RPS: '0',
          RATE_LIMIT_BUSINESS_RPS: '0',
        }),
      );
    }
    db = openDatabase(database.url);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await db?.close();
    await emulator?.close();
    await database?.drop();
  });

  async function connect(app: EmulatorApp): Promise<Tenant> {
    const tenant = await createTenant(db, 'owner');
    const res = await request(`${replicas[0]!.url}/api/v1/ramp/connect-with-credentials`, {
      method: 'POST',
      headers: tenant.headers,
      json: { client_id: app.client_id, client_secret: app.client_secret, scopes: ['business:read'] },
    });
    expect(res.status, res.text).toBe(201);
    return tenant;
  }

  it(`${CALLS} proxied calls of one connection over 3 replicas: 0 refused by Ramp, all answered; another tenant is not held`, async () => {
    const emu = emulatorControl(emulator.url);
    // Ramp's own limit, counted per app by the emulator: one app per connection.
    await emu.faults({ reset: true, rate_limit: { limit: 200, window_s: 10 } });
    const busy = await connect(await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: ['business:read'] }));
    const other = await connect(await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: ['business:read'] }));
    const before = await emu.stats();

    let pending = CALLS;
    const calls = Array.from({ length: CALLS }, (_, i) =>
      request(`${replicas[i % 3]!.url}/api/v1/ramp/proxy/business`, { headers: busy.headers }).then((answer) => {
        pending--;
        return answer;
      }),
    );
    // The busy connection's line is ≥ 2 windows long (180 per window); the other tenant's call needs
    // one slot of its own budget, so it is answered while that line is still waiting.
    const otherAnswer = await request(`${replicas[1]!.url}/api/v1/ramp/proxy/business`, { headers: other.headers });
    expect(otherAnswer.status, otherAnswer.text).toBe(200);
    expect(pending).toBeGreaterThan(0);

    const answers = await Promise.all(calls);
    const after = await emu.stats();
    expect(answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.text}`)).toEqual([]);
    expect(after.rate_limited - before.rate_limited).toBe(0);
    // Every call reached Ramp exactly once: none was refused and retried.
    const businessCalls = (stats: typeof after) => Object.entries(stats.endpoints).filter(([key]) => key.startsWith('GET ') && key.endsWith('/developer/v1/business')).reduce((sum, [, n]) => sum + n, 0);
    expect(businessCalls(after) - businessCalls(before)).toBe(CALLS + 1);
  }, 180_000);
});
