/**
 * Scale-out on PostgreSQL with 3 real `ramp-connect serve` processes behind no balancer (requests spread
 * round-robin): no duplicate refresh, no duplicate sync, no lost webhook.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/database.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { startServerProcess, type ServerProcess } from '../helpers/processes.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { TEST_ENCRYPTION_KEYS, freePort } from '../helpers/test-server.ts';
import { DEFAULT_SYNC_SCOPES } from '../helpers/cc-token-provider.ts';

describe.runIf(DIALECTS.includes('postgres'))('scale-out: 3 replicas on one PostgreSQL', () => {
  let database: TestDatabase;
  let emulator: RunningEmulator;
  let db: Db;
  let receiver: Server;
  const received = new Map<string, number>();
  const replicas: ServerProcess[] = [];
  const tenants: Tenant[] = [];
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    emulator = await startEmulator({ port: 0 });
    await emulatorControl(emulator.url).faults({ rate_limit: false });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const id = (JSON.parse(body) as { id: string }).id;
        received.set(id, (received.get(id) ?? 0) + 1);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
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
          REFRESH_INTERVAL_MS: '300',
          RATE_LIMIT_TOKEN_RPS: '0',
          RATE_LIMIT_BUSINESS_RPS: '0',
        }),
      );
    }
    db = openDatabase(database.url);
    const app = await emulatorControl(emulator.url).createApp({ grant_types: ['client_credentials'], allowed_scopes: [...DEFAULT_SYNC_SCOPES] });
    const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    for (let i = 0; i < 4; i++) {
      const tenant = await createTenant(db, 'owner', { permissions: ['ramp:token'] });
      tenants.push(tenant);
      const replica = replicas[i % 3]!;
      expect((await request(`${replica.url}/api/v1/webhooks`, { method: 'POST', headers: tenant.headers, json: { url: hookUrl } })).status).toBe(201);
      const connected = await request(`${replica.url}/api/v1/ramp/connect-with-credentials`, {
        method: 'POST',
        headers: tenant.headers,
        json: { client_id: app.client_id, client_secret: app.client_secret, scopes: [...DEFAULT_SYNC_SCOPES] },
      });
      expect(connected.status, connected.text).toBe(201);
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await db?.close();
    receiver?.close();
    await emulator?.close();
    await database?.drop();
  });

  it('no duplicate refresh: expired tokens under load on 3 replicas → one re-issue per connection', async () => {
    const emu = emulatorControl(emulator.url);
    await db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: Date.now() - 1, next_refresh_at: Date.now() - 1 }).execute();
    const before = (await emu.stats()).grants.client_credentials;
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, i) => request(`${replicas[i % 3]!.url}/api/v1/ramp/token`, { headers: tenants[i % tenants.length]!.headers })),
    );
    expect(results.filter((r) => r.status !== 200).map((r) => r.text)).toEqual([]);
    // The schedulers of all 3 replicas also ran meanwhile. Once no connection is leased (no refresh in
    // flight) and none is due, no further grant can come: count then, instead of after a fixed wait.
    const settled = async () => {
      const rows = await db.kysely.selectFrom('ramp_connections').select(['lease_owner', 'next_refresh_at']).execute();
      const now = Date.now();
      return rows.every((row) => row.lease_owner === null && (row.next_refresh_at === null || row.next_refresh_at > now));
    };
    await expect.poll(settled, { timeout: 30_000 }).toBe(true);
    expect((await emu.stats()).grants.client_credentials - before).toBe(tenants.length);
  }, 60_000);

  it('no duplicate sync: the same sync requested on every replica runs once per business', async () => {
    for (const tenant of tenants) {
      const answers = await Promise.all(replicas.flatMap((r) => [1, 2].map(() => request(`${r.url}/api/v1/ramp/sync`, { method: 'POST', headers: tenant.headers, json: {} }))));
      expect(answers.map((a) => a.status)).toEqual(Array(6).fill(202));
      expect(new Set(answers.map((a) => a.body.sync_id)).size).toBe(1);
    }
    for (const tenant of tenants) {
      await expect
        .poll(async () => (await db.kysely.selectFrom('syncs').select('status').where('business_id', '=', tenant.businessId).execute()).map((s) => s.status), { timeout: 60_000, interval: 250 })
        .toEqual(['completed']);
    }
    const expected = ((await (await fetch(`${emulator.url}/__emulator/records/transactions`)).json()) as { state: string }[]).filter((t) => t.state !== 'DECLINED').length;
    for (const tenant of tenants) {
      const { n } = await db.kysely
        .selectFrom('ramp_records')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('business_id', '=', tenant.businessId)
        .where('resource', '=', 'transactions')
        .executeTakeFirstOrThrow();
      expect(Number(n)).toBeGreaterThanOrEqual(expected);
    }
  }, 120_000);

  it('no lost webhook: every event reaches the receiver', async () => {
    const events = await db.kysely.selectFrom('events').select(['id', 'type']).execute();
    expect(events.filter((e) => e.type === 'connection.created')).toHaveLength(tenants.length);
    expect(events.filter((e) => e.type === 'sync.completed')).toHaveLength(tenants.length);
    await expect.poll(() => events.filter((e) => !received.has(e.id)).length, { timeout: 30_000 }).toBe(0);
  }, 60_000);
});
