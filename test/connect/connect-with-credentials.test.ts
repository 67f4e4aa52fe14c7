/**
 * `POST /api/v1/ramp/connect-with-credentials` against the real emulator, both dialects: every status
 * code of the seed with its body, 502 when Ramp fails (nothing stored), 20 concurrent requests → one
 * 201, reconnect over a needs_reauth connection, status and disconnect (revoked at Ramp).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { emulatorControl, type EmulatorApp } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { DEFAULT_SYNC_SCOPES } from '../helpers/cc-token-provider.ts';

/** What the default sync configuration reads, so what a connection asks for by default (scope-limited-sync.test.ts). */
const CC_SCOPES = [...DEFAULT_SYNC_SCOPES];

for (const dialect of DIALECTS) {
  describe(`${dialect}: connect with credentials`, () => {
    let t: TestServer;
    let emu: ReturnType<typeof emulatorControl>;
    let app: EmulatorApp;
    let owner: Tenant;
    beforeAll(async () => {
      t = await startTestServer({ dialect });
      emu = emulatorControl(t.emulator.url);
    });
    afterAll(async () => t.close());
    beforeEach(async () => {
      owner = await createTenant(t.server.ctx.db, 'owner');
      app = await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: [...CC_SCOPES, 'accounting:write'] });
    });

    const connect = (tenant: Tenant, body: unknown) =>
      request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: tenant.headers, json: body });

    it('201 with the connection, never echoing the secret', async () => {
      const res = await connect(owner, { client_id: app.client_id, client_secret: app.client_secret });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        status: 'connected',
        auth_method: 'client_credentials',
        environment: 'sandbox',
        client_id: app.client_id,
        scopes: CC_SCOPES,
        last_error: null,
      });
      // 10-day client-credentials token (Ramp docs): expiry about 864000 s from now.
      const expires = Date.parse(res.body.access_token_expires_at);
      expect(expires - Date.now()).toBeGreaterThan(863_000_000);
      expect(res.text).not.toContain(app.client_secret);
      const status = await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers });
      expect(status.body).toMatchObject({ status: 'connected', auth_method: 'client_credentials' });
    });

    it('400 ramp_invalid_client for a wrong secret, saying what to fix', async () => {
      const res = await connect(owner, { client_id: app.client_id, client_secret: 'wrong' });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('ramp_invalid_client');
      expect(res.body.detail).toMatch(/Client ID or Client Secret/);
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers })).body.status).toBe('disconnected');
    });

    it('400 ramp_unauthorized_client when the app lacks the Client Credentials grant', async () => {
      const codeOnly = await emu.createApp({ grant_types: ['authorization_code', 'refresh_token'], allowed_scopes: CC_SCOPES });
      const res = await connect(owner, { client_id: codeOnly.client_id, client_secret: codeOnly.client_secret });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 'ramp_unauthorized_client', detail: expect.stringMatching(/Enable the "Client Credentials" grant/) });
    });

    it('400 ramp_invalid_scope when the app does not allow a requested scope', async () => {
      const narrow = await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: ['business:read'] });
      const res = await connect(owner, { client_id: narrow.client_id, client_secret: narrow.client_secret });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('ramp_invalid_scope');
      const ok = await connect(owner, { client_id: narrow.client_id, client_secret: narrow.client_secret, scopes: ['business:read'] });
      expect(ok.status).toBe(201);
      expect(ok.body.scopes).toEqual(['business:read']);
    });

    it('401 without a token, 403 for a member, 422 for a bad body', async () => {
      const anon = await request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', json: { client_id: 'x', client_secret: 'y' } });
      expect(anon.status).toBe(401);
      expect(anon.body).toEqual({ detail: 'Not authenticated', code: 'not_authenticated' });
      const member = await createTenant(t.server.ctx.db, 'member', { businessId: owner.businessId });
      const denied = await connect(member, { client_id: app.client_id, client_secret: app.client_secret });
      expect(denied.status).toBe(403);
      expect(denied.body).toEqual({ detail: 'Not enough permissions', code: 'not_enough_permissions' });
      const bad = await connect(owner, { client_id: app.client_id });
      expect(bad.status).toBe(422);
      expect(bad.body).toEqual({ detail: [{ type: 'missing', loc: ['body', 'client_secret'], msg: 'Field required', input: { client_id: app.client_id } }] });
      const env = await connect(owner, { client_id: 5, client_secret: app.client_secret, environment: 'staging' });
      expect(env.body.detail.map((d: { loc: unknown[] }) => d.loc)).toEqual([['body', 'client_id'], ['body', 'environment']]);
    });

    it('409 when a live connection exists; exactly one 201 of 20 concurrent requests', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => connect(owner, { client_id: app.client_id, client_secret: app.client_secret })));
      expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(19).fill(409)]);
      // Every 409 names the connection that won (docs/guarantees.md#g30), whichever check refused it.
      const winner = results.find((r) => r.status === 201)!.body.connection_id;
      expect(winner).toBeTruthy();
      // The product's documented 409 body, plus our code and the id of what exists.
      for (const conflict of results.filter((r) => r.status === 409)) expect(conflict.body).toEqual({ detail: 'Resource already exists', code: 'resource_exists', existing_id: winner });
      const again = await connect(owner, { client_id: app.client_id, client_secret: app.client_secret });
      expect(again.status).toBe(409);
    });

    it('502 when Ramp is failing, and nothing is stored', async () => {
      await emu.faults({ error_rate: 1, status: 503, paths: ['/sandbox/developer/v1/token'] });
      try {
        const res = await connect(owner, { client_id: app.client_id, client_secret: app.client_secret });
        expect(res.status).toBe(502);
        expect(res.body.code).toBe('ramp_unavailable');
        expect(res.body.detail).toMatch(/nothing was saved/);
      } finally {
        await emu.faults({ reset: true });
      }
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers })).body.status).toBe('disconnected');
      const row = await t.server.ctx.db.kysely.selectFrom('ramp_connections').selectAll().where('business_id', '=', owner.businessId).executeTakeFirst();
      expect(row).toBeUndefined();
    });

    it('a needs_reauth connection is replaced by a new connect (no 409)', async () => {
      expect((await connect(owner, { client_id: app.client_id, client_secret: app.client_secret })).status).toBe(201);
      await t.server.ctx.db.kysely.updateTable('ramp_connections').set({ status: 'needs_reauth', status_reason: 'invalid_client' }).where('business_id', '=', owner.businessId).execute();
      const rotated = await emu.rotateSecret(app.client_id);
      const res = await connect(owner, { client_id: app.client_id, client_secret: rotated.client_secret });
      expect(res.status).toBe(201);
      expect(res.body.status).toBe('connected');
    });

    it('disconnect revokes the token at Ramp, then deletes it', async () => {
      expect((await connect(owner, { client_id: app.client_id, client_secret: app.client_secret })).status).toBe(201);
      const before = (await emu.stats()).revocations;
      const res = await request(`${t.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: owner.headers });
      expect(res.status).toBe(204);
      expect(res.headers.get('x-ramp-revocation')).toBe('revoked');
      expect((await emu.stats()).revocations).toBe(before + 1);
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers })).body.status).toBe('disconnected');
      expect((await request(`${t.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: owner.headers })).status).toBe(404);
      const auditRows = await t.server.ctx.db.kysely.selectFrom('audit_log').selectAll().where('business_id', '=', owner.businessId).orderBy('id').execute();
      // One row per call, the second disconnect (404) included.
      expect(auditRows.map((r) => `${r.action}:${r.outcome}`)).toEqual(['connect.client_credentials:success', 'disconnect:success', 'disconnect:failure']);
    });

    it('disconnect retries a 503 with Retry-After (RFC 7009 §2.2.1), then revokes and deletes', async () => {
      expect((await connect(owner, { client_id: app.client_id, client_secret: app.client_secret })).status).toBe(201);
      const before = await emu.stats();
      await emu.faults({ fail_next: 1, status: 503, retry_after_s: 1, paths: ['/sandbox/developer/v1/token/revoke'] });
      try {
        const started = Date.now();
        const res = await request(`${t.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: owner.headers });
        expect(res.status).toBe(204);
        expect(res.headers.get('x-ramp-revocation')).toBe('revoked');
        expect(Date.now() - started).toBeGreaterThanOrEqual(950); // waited Retry-After: 1
      } finally {
        await emu.faults({ reset: true });
      }
      const after = await emu.stats();
      expect(after.revocations).toBe(before.revocations + 1);
      expect(after.endpoints['POST /sandbox/developer/v1/token/revoke']! - (before.endpoints['POST /sandbox/developer/v1/token/revoke'] ?? 0)).toBe(2);
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers })).body.status).toBe('disconnected');
    });

    it('disconnect keeps the grant sealed as revoke_pending when Ramp cannot revoke (retries: test/connect/revoke-pending.test.ts)', async () => {
      expect((await connect(owner, { client_id: app.client_id, client_secret: app.client_secret })).status).toBe(201);
      await emu.faults({ error_rate: 1, status: 500, paths: ['/sandbox/developer/v1/token/revoke'] });
      try {
        const res = await request(`${t.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: owner.headers });
        expect(res.status).toBe(204);
        expect(res.headers.get('x-ramp-revocation')).toBe('pending');
      } finally {
        await emu.faults({ reset: true });
      }
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers })).body.status).toBe('revoke_pending');
    });
  });
}
