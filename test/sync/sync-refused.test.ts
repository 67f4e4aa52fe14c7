/**
 * `POST /api/v1/ramp/sync` refuses at once, over HTTP against the real server (its token manager and
 * stored connections) and the Ramp emulator, both dialects: a business without a connection (never
 * connected, or disconnected) → 404 `ramp_not_connected`; one whose connection must be re-authorized
 * (or is being disconnected) → 409 `reauthorization_required`, like the proxy and the token route. No
 * sync is created and Ramp is not called. A connected business still gets 202 and its sync.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: POST /api/v1/ramp/sync without a usable connection`, () => {
    let t: TestServer;
    let emu: ReturnType<typeof emulatorControl>;

    beforeAll(async () => {
      t = await startTestServer({ dialect });
      emu = emulatorControl(t.emulator.url);
    }, 60_000);
    afterAll(async () => t?.close());

    const db = () => t.server.ctx.db.kysely;
    const startSync = (tenant: Tenant) => request(`${t.url}/api/v1/ramp/sync`, { method: 'POST', headers: tenant.headers });
    const syncRows = (tenant: Tenant) => db().selectFrom('syncs').select(['id', 'status']).where('business_id', '=', tenant.businessId).execute();
    /** Calls Ramp (the emulator's API, not its control plane) answered so far. */
    const rampCalls = async () => Object.values((await emu.stats()).endpoints).reduce((sum, n) => sum + n, 0);

    async function connected(): Promise<Tenant> {
      const owner = await createTenant(t.server.ctx.db, 'owner');
      const app = await emu.createApp({ grant_types: ['client_credentials'] });
      const res = await request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: owner.headers, json: { client_id: app.client_id, client_secret: app.client_secret } });
      expect(res.status, res.text).toBe(201);
      return owner;
    }

    async function syncToEnd(tenant: Tenant, syncId: string): Promise<any> {
      for (;;) {
        const res = await request(`${t.url}/api/v1/ramp/syncs/${syncId}`, { headers: tenant.headers });
        expect(res.status, res.text).toBe(200);
        if (!['queued', 'running'].includes(res.body.status)) return res.body;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    async function expectRefused(tenant: Tenant, status: number, code: string): Promise<void> {
      const before = await rampCalls();
      const rowsBefore = await syncRows(tenant);
      const res = await startSync(tenant);
      expect(res.status, res.text).toBe(status);
      expect(res.body.code).toBe(code);
      expect(await syncRows(tenant)).toEqual(rowsBefore);
      expect(await rampCalls()).toBe(before);
    }

    it('the OpenAPI document declares both refusals', async () => {
      const doc = (await request(`${t.url}/openapi.json`)).body;
      expect(Object.keys(doc.paths['/api/v1/ramp/sync'].post.responses)).toEqual(expect.arrayContaining(['202', '404', '409']));
    });

    it('a connected business: 202 and a sync that completes', async () => {
      const owner = await connected();
      const res = await startSync(owner);
      expect(res.status, res.text).toBe(202);
      expect(await syncToEnd(owner, res.body.sync_id)).toMatchObject({ status: 'completed', error: null });
    });

    it('a business never connected: 404 ramp_not_connected, no sync row, the status has no last sync', async () => {
      const owner = await createTenant(t.server.ctx.db, 'owner');
      await expectRefused(owner, 404, 'ramp_not_connected');
      expect(await syncRows(owner)).toEqual([]);
      const status = await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers });
      expect(status.body).toMatchObject({ status: 'disconnected', last_sync: null });
    });

    it('a needs_reauth connection: 409 reauthorization_required, no sync row, no Ramp call', async () => {
      const owner = await connected();
      await db().updateTable('ramp_connections').set({ status: 'needs_reauth', status_reason: 'invalid_client' }).where('business_id', '=', owner.businessId).execute();
      await expectRefused(owner, 409, 'reauthorization_required');
      expect(await syncRows(owner)).toEqual([]);
    });

    it('a connection being disconnected (revoke_pending): 409 reauthorization_required, as the token route says', async () => {
      const owner = await connected();
      await db().updateTable('ramp_connections').set({ status: 'revoke_pending', revoke_pending_since: Date.now() }).where('business_id', '=', owner.businessId).execute();
      await expectRefused(owner, 409, 'reauthorization_required');
      expect(await syncRows(owner)).toEqual([]);
    });

    it('a disconnected business: 404 ramp_not_connected; its earlier syncs stay as they were', async () => {
      const owner = await connected();
      const first = await startSync(owner);
      expect(first.status, first.text).toBe(202);
      await syncToEnd(owner, first.body.sync_id);
      const disconnect = await request(`${t.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: owner.headers });
      expect(disconnect.status, disconnect.text).toBe(204);
      await expectRefused(owner, 404, 'ramp_not_connected');
      expect(await syncRows(owner)).toEqual([{ id: first.body.sync_id, status: 'completed' }]);
    });
  });
}
