/**
 * A key change rolled out over two real `serve` processes on one PostgreSQL database (README "Scaling
 * out", docs/guarantees.md#g15, #g16), with connections made by both replicas at every step:
 *  - the documented sequence — add the new key everywhere as a second key, then make it active
 *    everywhere, then `keys rotate`, then drop the old key — never fails a token request and never
 *    marks a connection `needs_reauth`;
 *  - the unsafe order (new key first on one replica while another still has only the old key): the
 *    replica lacking the key answers a retryable 503 `encryption_key_unavailable` with Retry-After and
 *    leaves the row alone (not `credentials_corrupt`, not `needs_reauth`, no lease kept, Ramp not called),
 *    and serves it once it has the key.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/database.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { emulatorControl, type EmulatorApp } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/processes.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { freePort } from '../helpers/test-server.ts';

const K1 = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
const K2 = `k2:${Buffer.alloc(32, 2).toString('base64')}`;
const SCOPES = ['business:read', 'transactions:read'];

describe.runIf(DIALECTS.includes('postgres'))('postgres: a key change rolled out over 2 replicas', () => {
  let emulator: RunningEmulator;
  let app: EmulatorApp;
  let database: TestDatabase;
  let db: Db;
  const replicas: (ServerProcess | undefined)[] = [undefined, undefined];
  const tenants: Tenant[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    await emulatorControl(emulator.url).faults({ rate_limit: false });
    app = await emulatorControl(emulator.url).createApp({ grant_types: ['client_credentials'], allowed_scopes: SCOPES });
  });
  afterAll(async () => emulator?.close());
  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    db = openDatabase(database.url);
    tenants.length = 0;
  });
  afterEach(async () => {
    await Promise.all(replicas.map((r) => r?.stop()));
    replicas.fill(undefined);
    await db.close();
    await database.drop();
  });

  function env(keys: string): Record<string, string> {
    return {
      DATABASE_URL: database.url,
      RAMP_ENV: 'emulator',
      RAMP_API_BASE_URL: emulator.url,
      ENCRYPTION_KEYS: keys,
      LOG_LEVEL: 'warn',
      // Deterministic: only the requests below refresh.
      REFRESH_INTERVAL_MS: '0',
      RATE_LIMIT_TOKEN_RPS: '0',
      RATE_LIMIT_BUSINESS_RPS: '0',
    };
  }

  /** A rolling restart step: replica `i` stops, then comes back with `keys`. */
  async function restart(i: number, keys: string): Promise<ServerProcess> {
    const old = replicas[i];
    replicas[i] = undefined;
    await old?.stop();
    const port = await freePort();
    const started = await startServerProcess({ ...env(keys), PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` });
    replicas[i] = started;
    return started;
  }

  /** A business connects through `replica`: its row is sealed under that replica's active key. */
  async function connectOn(replica: ServerProcess): Promise<Tenant> {
    const tenant = await createTenant(db, 'owner', { permissions: ['ramp:token'] });
    const res = await request(`${replica.url}/api/v1/ramp/connect-with-credentials`, {
      method: 'POST',
      headers: tenant.headers,
      json: { client_id: app.client_id, client_secret: app.client_secret, scopes: SCOPES },
    });
    expect(res.status, res.text).toBe(201);
    tenants.push(tenant);
    return tenant;
  }

  const token = (replica: ServerProcess, tenant: Tenant) => request(`${replica.url}/api/v1/ramp/token`, { headers: tenant.headers });

  async function kidOf(tenant: Tenant): Promise<string> {
    return (await db.kysely.selectFrom('ramp_connections').select('data_key_kid').where('business_id', '=', tenant.businessId).executeTakeFirstOrThrow()).data_key_kid;
  }

  async function expireToken(tenant: Tenant): Promise<void> {
    await db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: Date.now() - 1 }).where('business_id', '=', tenant.businessId).execute();
  }

  /** Every connection answered by every running replica, each through a refresh too; none needs_reauth. */
  async function everyReplicaServesEveryConnection(): Promise<void> {
    for (const replica of replicas) {
      if (!replica) continue;
      for (const tenant of tenants) {
        await expireToken(tenant);
        for (const _ of [1, 2]) {
          const res = await token(replica, tenant);
          expect(res.status, `${replica.url} ${res.text}`).toBe(200);
        }
      }
    }
    const rows = await db.kysely.selectFrom('ramp_connections').select(['status', 'status_reason']).execute();
    expect(rows).toEqual(tenants.map(() => ({ status: 'connected', status_reason: null })));
  }

  it('the documented sequence: new key second everywhere, then active everywhere, then keys rotate, then the old key dropped', async () => {
    const a = await restart(0, K1);
    await restart(1, K1);
    await connectOn(a);

    // 1. Add k2 everywhere as a second, inactive key (rolling restart): every replica can read k2 before any writes it.
    await connectOn(await restart(0, `${K1},${K2}`));
    await everyReplicaServesEveryConnection();
    await connectOn(await restart(1, `${K1},${K2}`));
    expect(await Promise.all(tenants.map(kidOf))).toEqual(['k1', 'k1', 'k1']);

    // 2. Make k2 active everywhere (rolling restart): mid-way, rows sealed with k2 by A are read by B (still k1-active).
    const sealedWithK2 = await connectOn(await restart(0, `${K2},${K1}`));
    expect(await kidOf(sealedWithK2)).toBe('k2');
    await everyReplicaServesEveryConnection();
    await connectOn(await restart(1, `${K2},${K1}`));
    await everyReplicaServesEveryConnection();

    // 3. Rewrap every row under k2 while both replicas serve.
    const rotation = await runCli(['keys', 'rotate'], env(`${K2},${K1}`), 60_000);
    expect(rotation.code, rotation.stderr).toBe(0);
    const status = JSON.parse((await runCli(['keys', 'status'], env(`${K2},${K1}`))).stdout) as { keys: { kid: string; rows: number; removable: boolean }[] };
    expect(status.keys.find((k) => k.kid === 'k1')).toMatchObject({ rows: 0, removable: true });

    // 4. Drop k1 everywhere (rolling restart).
    await connectOn(await restart(0, K2));
    await everyReplicaServesEveryConnection();
    await restart(1, K2);
    await everyReplicaServesEveryConnection();
    expect(new Set(await Promise.all(tenants.map(kidOf)))).toEqual(new Set(['k2']));
    const needsReauthEvents = await db.kysely.selectFrom('events').select('id').where('type', '=', 'connection.needs_reauth').execute();
    expect(needsReauthEvents).toEqual([]);
  }, 240_000);

  it('the unsafe order: a replica lacking the new key answers a retryable 503 and leaves the row alone', async () => {
    const oldOnly = await restart(1, K1);
    const newFirst = await restart(0, `${K2},${K1}`);
    const before = await connectOn(oldOnly);
    const tenant = await connectOn(newFirst);
    expect(await kidOf(tenant)).toBe('k2');
    const rowBefore = await db.kysely.selectFrom('ramp_connections').selectAll().where('business_id', '=', tenant.businessId).executeTakeFirstOrThrow();
    const grantsBefore = (await emulatorControl(emulator.url).stats()).grants.client_credentials;

    const expectRetryable = (res: Awaited<ReturnType<typeof request>>) => {
      expect(res.status, res.text).toBe(503);
      expect(res.body).toMatchObject({ code: 'encryption_key_unavailable' });
      expect(res.headers.get('retry-after')).toBe('5');
    };
    // A fresh token (read path) and an expired one (refresh path: lease, secrets, Ramp).
    expectRetryable(await token(oldOnly, tenant));
    await expireToken(tenant);
    expectRetryable(await token(oldOnly, tenant));
    expectRetryable(await request(`${oldOnly.url}/api/v1/ramp/proxy/business`, { headers: tenant.headers }));
    // A disconnect would delete the only copy of tokens Ramp still honours: refused the same way.
    expectRetryable(await request(`${oldOnly.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: tenant.headers }));

    const rowAfter = await db.kysely.selectFrom('ramp_connections').selectAll().where('business_id', '=', tenant.businessId).executeTakeFirstOrThrow();
    expect(rowAfter).toMatchObject({ status: 'connected', status_reason: null, lease_owner: null, lease_until: null, version: rowBefore.version, refresh_failures: 0, last_error: null });
    expect((await emulatorControl(emulator.url).stats()).grants.client_credentials).toBe(grantsBefore);

    // The replica with the key serves it, and the old-key row still works on the old replica.
    expect((await token(newFirst, tenant)).status).toBe(200);
    expect((await token(oldOnly, before)).status).toBe(200);
    // Once the lagging replica has the key, it serves the row too.
    await restart(1, `${K2},${K1}`);
    await everyReplicaServesEveryConnection();
    const needsReauthEvents = await db.kysely.selectFrom('events').select('id').where('type', '=', 'connection.needs_reauth').execute();
    expect(needsReauthEvents).toEqual([]);
  }, 180_000);
});
