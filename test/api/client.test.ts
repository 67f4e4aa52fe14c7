/**
 * The typed client `ramp-connect/client`: its generated types match what a running server's
 * `/openapi.json` generates now (a route changed without `npm run gen:client` fails here), and product
 * code written with it works against a real server and emulator: connect with credentials, status,
 * sync, transactions, and a typed error.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRampConnectClient, type RampConnectClient } from 'ramp-connect/client';
import { SCHEMA_FILE, clientSchemaSource } from '../../src/client/generate.ts';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

describe('typed client', () => {
  let t: TestServer;
  let owner: Tenant;
  let api: RampConnectClient;
  beforeAll(async () => {
    t = await startTestServer({ dialect: 'sqlite' });
    owner = await createTenant(t.server.ctx.db, 'owner');
    api = createRampConnectClient({ baseUrl: t.url, token: owner.token, businessId: owner.businessId });
  });
  afterAll(async () => t?.close());

  it('the committed generated types are what the served /openapi.json generates (run `npm run gen:client`)', async () => {
    const served = (await (await fetch(`${t.url}/openapi.json`)).json()) as object;
    expect(await clientSchemaSource(served)).toBe(readFileSync(SCHEMA_FILE, 'utf8'));
  });

  it('connects with credentials, reads the status, syncs, and pages through transactions', async () => {
    const app = await emulatorControl(t.emulator.url).createApp({ grant_types: ['client_credentials'] });

    const connected = await api.POST('/api/v1/ramp/connect-with-credentials', { body: { client_id: app.client_id, client_secret: app.client_secret } });
    expect(connected.response.status).toBe(201);
    expect(connected.data?.status).toBe('connected');
    expect(connected.data?.auth_method).toBe('client_credentials');
    expect(JSON.stringify(connected.data)).not.toContain(app.client_secret);

    // A second connect is refused with the catalogue's typed error body.
    const again = await api.POST('/api/v1/ramp/connect-with-credentials', { body: { client_id: app.client_id, client_secret: app.client_secret } });
    expect(again.response.status).toBe(409);
    expect(again.error).toMatchObject({ code: 'resource_exists', existing_id: connected.data?.connection_id });

    const status = await api.GET('/api/v1/ramp/status');
    expect(status.data).toMatchObject({ status: 'connected', environment: 'sandbox', last_sync_at: null });

    const started = await api.POST('/api/v1/ramp/sync');
    expect(started.response.status).toBe(202);
    const syncId = started.data!.sync_id;
    let sync = (await api.GET('/api/v1/ramp/syncs/{id}', { params: { path: { id: syncId } } })).data;
    for (let i = 0; i < 1200 && sync?.status !== 'completed' && sync?.status !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      sync = (await api.GET('/api/v1/ramp/syncs/{id}', { params: { path: { id: syncId } } })).data;
    }
    expect(sync?.status).toBe('completed');

    const ids = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: { limit: number; cursor?: string } = cursor === null ? { limit: 100 } : { limit: 100, cursor };
      const page = await api.GET('/api/v1/ramp/transactions', { params: { query } });
      expect(page.response.status).toBe(200);
      const body = page.data!;
      for (const item of body.items) ids.add(item.id);
      cursor = body.has_more ? body.next_cursor : null;
      pages++;
    } while (cursor !== null && pages < 100);
    const stored = await t.server.ctx.db.kysely
      .selectFrom('ramp_records')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('business_id', '=', owner.businessId)
      .where('resource', '=', 'transactions')
      .executeTakeFirstOrThrow();
    expect(ids.size).toBe(Number(stored.n));
    expect(ids.size).toBeGreaterThan(0);

    const after = await api.GET('/api/v1/ramp/status');
    expect(after.data?.transaction_count).toBe(ids.size);
  });

  it('a per-call x-business-id replaces the bound one (another tenant: 403)', async () => {
    const other = await createTenant(t.server.ctx.db, 'owner');
    const res = await api.GET('/api/v1/ramp/status', { headers: { 'x-business-id': other.businessId } });
    expect(res.response.status).toBe(403);
    expect(res.error).toMatchObject({ detail: 'Not enough permissions' });
  });

  it('a bad token gets the typed 401 body, not an exception', async () => {
    const stranger = createRampConnectClient({ baseUrl: t.url, token: 'dz_not_a_token', businessId: owner.businessId });
    const res = await stranger.GET('/api/v1/ramp/status');
    expect(res.response.status).toBe(401);
    expect(res.error).toMatchObject({ detail: 'Not authenticated' });
  });
});
