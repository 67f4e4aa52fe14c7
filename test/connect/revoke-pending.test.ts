/**
 * `revoke_pending` (docs/guarantees.md#g43), both dialects, with the emulator's faults on Ramp's
 * revocation endpoint: a disconnect Ramp cannot confirm keeps the grant sealed and unusable, status
 * shows it, the retry pass revokes it once Ramp answers and only then deletes the secrets; a grant
 * still failing after the give-up period is deleted anyway.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectService, REVOKE_GIVE_UP_MS } from '../../src/connections/connect-service.ts';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { DEFAULT_SYNC_SCOPES } from '../helpers/cc-token-provider.ts';

const SCOPES = [...DEFAULT_SYNC_SCOPES];
const REVOKE_PATH = '/sandbox/developer/v1/token/revoke';

for (const dialect of DIALECTS) {
  describe(`${dialect}: revoke_pending`, () => {
    let t: TestServer;
    let emu: ReturnType<typeof emulatorControl>;
    let owner: Tenant;
    let service: ConnectService;
    beforeAll(async () => {
      // No background retry pass: the test drives it.
      t = await startTestServer({ dialect, env: { REFRESH_INTERVAL_MS: '0' } });
      emu = emulatorControl(t.emulator.url);
      service = new ConnectService(t.server.features.services);
    });
    afterAll(async () => t?.close());
    beforeEach(async () => {
      owner = await createTenant(t.server.ctx.db, 'owner');
      await emu.faults({ reset: true });
    });

    const connectionRow = () => t.server.ctx.db.kysely.selectFrom('ramp_connections').selectAll().where('business_id', '=', owner.businessId).executeTakeFirst();
    /** Whether Ramp still honours the access token (read from the sealed row while it exists). */
    const rampAccepts = async (accessToken: string) => (await fetch(`${t.server.ctx.config.rampHosts.sandbox.apiBaseUrl}/developer/v1/business`, { headers: { authorization: `Bearer ${accessToken}` } })).status === 200;
    const sealedAccessToken = async () => t.server.features.services.store.open((await connectionRow())!).accessToken!;
    const deletedEvents = () => t.server.ctx.db.kysely.selectFrom('events').selectAll().where('business_id', '=', owner.businessId).where('type', '=', 'connection.deleted').execute();

    async function connectAndFailRevocation(): Promise<{ client_id: string }> {
      const app = await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: SCOPES });
      const connected = await request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: owner.headers, json: { client_id: app.client_id, client_secret: app.client_secret } });
      expect(connected.status).toBe(201);
      await emu.faults({ error_rate: 1, paths: [REVOKE_PATH] });
      const res = await request(`${t.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: owner.headers });
      expect(res.status).toBe(204);
      expect(res.headers.get('x-ramp-revocation')).toBe('pending');
      return app;
    }

    it('Ramp failing: the grant stays sealed and unusable, status shows revoke_pending, a retry after Ramp recovers revokes it, then the secrets go', async () => {
      await connectAndFailRevocation();
      const kept = await connectionRow();
      const accessToken = await sealedAccessToken();
      expect(kept).toMatchObject({ status: 'revoke_pending' });
      expect(kept!.access_token).not.toBeNull();
      expect(Buffer.from(kept!.access_token!).toString('latin1')).not.toContain('ramp_tok_');
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers })).body.status).toBe('revoke_pending');
      // Not usable for calls.
      const proxied = await request(`${t.url}/api/v1/ramp/proxy/business`, { headers: owner.headers });
      expect(proxied.status).toBe(409);
      await emu.faults({ reset: true });
      expect(await rampAccepts(accessToken)).toBe(true);
      await emu.faults({ error_rate: 1, paths: [REVOKE_PATH] });
      expect(await deletedEvents()).toHaveLength(0);

      // Not due yet: nothing happens.
      expect(await service.retryRevocations()).toBe(0);
      // Due, Ramp still failing: rescheduled, kept.
      await t.server.ctx.db.kysely.updateTable('ramp_connections').set({ next_revoke_at: Date.now() - 1 }).where('business_id', '=', owner.businessId).execute();
      expect(await service.retryRevocations()).toBe(0);
      const rescheduled = await connectionRow();
      expect(rescheduled).toMatchObject({ status: 'revoke_pending' });
      expect(Number(rescheduled!.next_revoke_at)).toBeGreaterThan(Date.now());

      // Ramp recovers.
      await emu.faults({ reset: true });
      await t.server.ctx.db.kysely.updateTable('ramp_connections').set({ next_revoke_at: Date.now() - 1 }).where('business_id', '=', owner.businessId).execute();
      expect(await service.retryRevocations()).toBe(1);
      expect(await rampAccepts(accessToken)).toBe(false);
      expect(await connectionRow()).toBeUndefined();
      expect((await deletedEvents()).map((e) => JSON.parse(e.data))).toEqual([expect.objectContaining({ revoked_at_ramp: true })]);
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers })).body.status).toBe('disconnected');
    });

    it('a new connect does not replace a grant waiting for revocation', async () => {
      const app = await connectAndFailRevocation();
      const again = await request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: owner.headers, json: { client_id: app.client_id, client_secret: 'x'.repeat(20) } });
      expect(again.status).toBeGreaterThanOrEqual(400);
      expect(await connectionRow()).toMatchObject({ status: 'revoke_pending' });
    });

    it('still failing after the give-up period: the secrets are deleted anyway, with one event saying so', async () => {
      await connectAndFailRevocation();
      const accessToken = await sealedAccessToken();
      await t.server.ctx.db.kysely
        .updateTable('ramp_connections')
        .set({ next_revoke_at: Date.now() - 1, revoke_pending_since: Date.now() - REVOKE_GIVE_UP_MS - 1 })
        .where('business_id', '=', owner.businessId)
        .execute();
      expect(await service.retryRevocations()).toBe(1);
      expect(await connectionRow()).toBeUndefined();
      await emu.faults({ reset: true });
      expect(await rampAccepts(accessToken)).toBe(true);
      expect((await deletedEvents()).map((e) => JSON.parse(e.data))).toEqual([expect.objectContaining({ revoked_at_ramp: false })]);
    });

    it('Ramp not answering: a disconnect waits on it for its budget only (both tokens together), then leaves the grant revoke_pending', async () => {
      const app = await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: SCOPES });
      const connected = await request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: owner.headers, json: { client_id: app.client_id, client_secret: app.client_secret } });
      expect(connected.status).toBe(201);
      // Ramp holds each revocation 5 s, then answers 200. A 1 s budget ends the first attempt unanswered
      // and leaves no time for a retry or for the access token: the grant stays sealed for the retry
      // pass. Without the budget each call waits its 5 s and both tokens are revoked.
      await emu.faults({ hang_ms: 5_000, paths: [REVOKE_PATH] });
      const revokeCalls = async () => (await emu.stats()).endpoints[`POST ${REVOKE_PATH}`] ?? 0;
      const before = await revokeCalls();
      const budgeted = new ConnectService({ ...t.server.features.services, revocationBudgetMs: 1_000 });
      const outcome = await budgeted.disconnect(owner.businessId, async () => {});
      expect(outcome).toMatchObject({ revoked: false, pending: true, reason: 'timeout' });
      expect(await connectionRow()).toMatchObject({ status: 'revoke_pending' });
      // The emulator counts a call once it has answered it: none was (without the budget, both were).
      expect(await revokeCalls()).toBe(before);
    });
  });
}
