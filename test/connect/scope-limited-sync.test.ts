/**
 * Issue 13, "a sync tells the truth", over HTTP against the real server and the Ramp emulator, both
 * dialects:
 * - `connect-with-credentials` asks by default for exactly the scopes the business's sync
 *   configuration reads (an app allowing every scope grants exactly what was asked);
 * - an app that does not allow one of them: Ramp's `invalid_scope` becomes a 400 naming it;
 * - a connection whose Ramp app lacks scopes (asked for fewer, or granted a subset as the sandbox
 *   does) syncs what it can, and the sync is `partial` with exactly the missing scopes, in
 *   `GET /api/v1/ramp/syncs/{id}` and in `GET /api/v1/ramp/status` (`last_sync`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { DEFAULT_SYNC_SCOPES } from '../helpers/cc-token-provider.ts';

/** What a sync with the default configuration reads (reference data, transactions, reimbursements, bills). */

for (const dialect of DIALECTS) {
  describe(`${dialect}: scopes and partial syncs`, () => {
    let t: TestServer;
    let emu: ReturnType<typeof emulatorControl>;

    beforeAll(async () => {
      t = await startTestServer({ dialect });
      emu = emulatorControl(t.emulator.url);
    }, 60_000);
    afterAll(async () => t?.close());

    const connect = (tenant: Tenant, body: Record<string, unknown>) => request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: tenant.headers, json: body });

    async function syncToEnd(tenant: Tenant): Promise<any> {
      const started = await request(`${t.url}/api/v1/ramp/sync`, { method: 'POST', headers: tenant.headers, json: {} });
      expect(started.status, started.text).toBe(202);
      for (;;) {
        const res = await request(`${t.url}/api/v1/ramp/syncs/${started.body.sync_id}`, { headers: tenant.headers });
        expect(res.status, res.text).toBe(200);
        if (!['queued', 'running'].includes(res.body.status)) return res.body;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    const status = async (tenant: Tenant) => (await request(`${t.url}/api/v1/ramp/status`, { headers: tenant.headers })).body;

    it('by default asks Ramp for the scopes the sync configuration reads, and a full grant syncs completely', async () => {
      const owner = await createTenant(t.server.ctx.db, 'owner');
      const app = await emu.createApp({ grant_types: ['client_credentials'] });
      const res = await connect(owner, { client_id: app.client_id, client_secret: app.client_secret });
      expect(res.status, res.text).toBe(201);
      expect([...res.body.scopes].sort()).toEqual([...DEFAULT_SYNC_SCOPES].sort());
      expect(res.body.last_sync).toBeNull();

      const done = await syncToEnd(owner);
      expect(done).toMatchObject({ status: 'completed', skipped: [], error: null });
      expect((await status(owner)).last_sync).toEqual({ id: done.id, status: 'completed', finished_at: done.finished_at, skipped: [], error: null });
    });

    it('the default request follows the sync flags: resources switched off are not asked for', async () => {
      const owner = await createTenant(t.server.ctx.db, 'owner');
      const put = await request(`${t.url}/api/v1/ramp/sync-config`, { method: 'PUT', headers: owner.headers, json: { sync_bills: false, sync_reimbursements: false } });
      expect(put.status, put.text).toBe(200);
      // An app without bills:read and reimbursements:read is enough for this configuration.
      const app = await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: DEFAULT_SYNC_SCOPES.filter((s) => s !== 'bills:read' && s !== 'reimbursements:read') });
      const res = await connect(owner, { client_id: app.client_id, client_secret: app.client_secret });
      expect(res.status, res.text).toBe(201);
      expect([...res.body.scopes].sort()).toEqual(DEFAULT_SYNC_SCOPES.filter((s) => s !== 'bills:read' && s !== 'reimbursements:read').sort());
      expect(await syncToEnd(owner)).toMatchObject({ status: 'completed', skipped: [] });
    });

    it('an app that does not allow a scope the sync needs: 400 ramp_invalid_scope naming it, nothing stored', async () => {
      const owner = await createTenant(t.server.ctx.db, 'owner');
      const app = await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: DEFAULT_SYNC_SCOPES.filter((s) => s !== 'bills:read') });
      const res = await connect(owner, { client_id: app.client_id, client_secret: app.client_secret });
      expect(res.status, res.text).toBe(400);
      expect(res.body.code).toBe('ramp_invalid_scope');
      expect(res.body.detail).toContain('bills:read');
      expect(res.body.detail).not.toContain(app.client_secret);
      expect((await status(owner)).status).toBe('disconnected');
    });

    it('a connection that asked for fewer scopes: the sync is partial, naming exactly the missing ones, in the sync and the status', async () => {
      const owner = await createTenant(t.server.ctx.db, 'owner');
      const app = await emu.createApp({ grant_types: ['client_credentials'] });
      const scopes = DEFAULT_SYNC_SCOPES.filter((s) => s !== 'bills:read' && s !== 'vendors:read');
      const res = await connect(owner, { client_id: app.client_id, client_secret: app.client_secret, scopes });
      expect(res.status, res.text).toBe(201);

      const done = await syncToEnd(owner);
      expect(done.status).toBe('partial');
      expect(done.error).toBeNull();
      const skipped = [
        { resource: 'vendors', reason: 'missing_scope', missing_scope: 'vendors:read', detail: expect.stringContaining('DEVELOPER_7100') },
        { resource: 'bills', reason: 'missing_scope', missing_scope: 'bills:read', detail: expect.stringContaining('DEVELOPER_7100') },
      ];
      expect(done.skipped).toEqual(skipped);
      // Everything else was read.
      expect(done.progress.resources.transactions.status).toBe('done');
      expect(done.progress.resources.reimbursements.status).toBe('done');
      expect(done.progress.records).toBeGreaterThan(0);

      const view = await status(owner);
      expect(view.last_sync).toEqual({ id: done.id, status: 'partial', finished_at: done.finished_at, skipped, error: null });
      expect(view.last_sync_at).toBe(done.finished_at);
    });

    it('a sandbox that grants the allowed subset: the connection succeeds and its first sync is partial', async () => {
      const owner = await createTenant(t.server.ctx.db, 'owner');
      const app = await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: DEFAULT_SYNC_SCOPES.filter((s) => s !== 'locations:read' && s !== 'reimbursements:read') });
      await emu.faults({ ungranted_scope: 'subset' });
      try {
        const res = await connect(owner, { client_id: app.client_id, client_secret: app.client_secret });
        expect(res.status, res.text).toBe(201);
        expect(res.body.scopes).not.toContain('locations:read');
      } finally {
        await emu.faults({ ungranted_scope: 'invalid_scope' });
      }
      const done = await syncToEnd(owner);
      expect(done.status).toBe('partial');
      expect(done.skipped.map((s: any) => [s.resource, s.missing_scope])).toEqual([
        ['locations', 'locations:read'],
        ['reimbursements', 'reimbursements:read'],
      ]);
      expect((await status(owner)).last_sync.skipped.map((s: any) => s.missing_scope)).toEqual(['locations:read', 'reimbursements:read']);
    });
  });
}
