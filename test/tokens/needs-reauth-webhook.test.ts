/**
 * End to end through the server: Ramp revokes the grant → the next token request finds out (one call to
 * Ramp), the connection turns needs_reauth, callers get 409 reauthorization_required without further
 * Ramp calls, and the business's webhook receives exactly one `connection.needs_reauth`, signed.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/events/signature.ts';
import { createTenant } from '../helpers/tenants.ts';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { TestBrowser } from '../helpers/test-browser.ts';
import { request } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

describe('revoked grant → needs_reauth → one webhook', () => {
  let t: TestServer;
  let receiver: Server;
  const deliveries: { type: string; signature: string; body: string }[] = [];
  beforeAll(async () => {
    t = await startTestServer({ dialect: 'sqlite' });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        deliveries.push({ type: (JSON.parse(body) as { type: string }).type, signature: String(req.headers['x-ramp-connect-signature']), body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    receiver.close();
    await t.close();
  });

  it('happens once', async () => {
    const emu = emulatorControl(t.emulator.url);
    const owner = await createTenant(t.server.ctx.db, 'owner', { permissions: ['ramp:token'] });
    const hook = await request(`${t.url}/api/v1/webhooks`, { method: 'POST', headers: owner.headers, json: { url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook` } });
    expect(hook.status).toBe(201);
    const start = await request(`${t.url}/api/v1/ramp/connect-url`, { headers: owner.headers });
    await emu.consent({ decision: 'approve', role: 'admin' });
    const browser = new TestBrowser();
    const callback = (await browser.openConnectUrl(start.body.connect_url)).headers.get('location')!;
    expect((await browser.fetch(callback)).headers.get('location')).toContain('ramp=connected');

    await emu.revokeGrants({ client_id: t.emulator.defaultApp.client_id });
    await t.server.ctx.db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: Date.now() - 1 }).where('business_id', '=', owner.businessId).execute();
    const tokenCalls = async () => (await emu.stats()).endpoints['POST /sandbox/developer/v1/token'] ?? 0;
    const before = await tokenCalls();
    const results = await Promise.all(Array.from({ length: 20 }, () => request(`${t.url}/api/v1/ramp/token`, { headers: owner.headers })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(409));
    expect(results[0]!.body.code).toBe('reauthorization_required');
    expect((await tokenCalls()) - before).toBe(1);
    expect((await request(`${t.url}/api/v1/ramp/token`, { headers: owner.headers })).status).toBe(409);
    expect((await tokenCalls()) - before).toBe(1);
    const status = await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers });
    expect(status.body).toMatchObject({ status: 'needs_reauth', status_reason: 'invalid_grant' });

    await expect.poll(() => deliveries.filter((d) => d.type === 'connection.needs_reauth').length, { timeout: 10_000 }).toBe(1);
    // Exactly one such event was recorded, and once nothing is left pending no further delivery can
    // come: proof by the outbox's state, not by waiting a while for a second one.
    const db = t.server.ctx.db.kysely;
    const recorded = await db.selectFrom('events').select('id').where('business_id', '=', owner.businessId).where('type', '=', 'connection.needs_reauth').execute();
    expect(recorded).toHaveLength(1);
    const pending = async () => (await db.selectFrom('webhook_deliveries').select('id').where('business_id', '=', owner.businessId).where('status', '=', 'pending').execute()).length;
    await expect.poll(pending, { timeout: 20_000 }).toBe(0);
    const needsReauth = deliveries.filter((d) => d.type === 'connection.needs_reauth');
    expect(needsReauth).toHaveLength(1);
    expect(verifyWebhookSignature(hook.body.secret, needsReauth[0]!.signature, needsReauth[0]!.body)).toBe(true);
    expect(deliveries.map((d) => d.type)).toContain('connection.created');
  });
});
