/**
 * The OAuth redirect flow against the real emulator, both dialects (docs/guarantees.md#g1–#g7):
 * happy path with PKCE S256; tampered, missing, expired and reused state → 400 with 0 token calls;
 * deny; member-role refusal; 10 concurrent callbacks → 1 exchange; return_to allowlist; spoofed Host;
 * issuer mix-up.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectService } from '../../src/connections/connect-service.ts';
import { hashState } from '../../src/connections/oauth-state.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { TestBrowser } from '../helpers/test-browser.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: OAuth redirect flow`, () => {
    let t: TestServer;
    let emu: ReturnType<typeof emulatorControl>;
    let owner: Tenant;
    /** The browser the admin starts flows in (a fresh one per test). */
    let browser: TestBrowser;
    beforeAll(async () => {
      t = await startTestServer({ dialect });
      emu = emulatorControl(t.emulator.url);
    });
    afterAll(async () => t.close());
    beforeEach(async () => {
      owner = await createTenant(t.server.ctx.db, 'owner');
      browser = new TestBrowser();
    });

    const codeGrants = async () => (await emu.stats()).grants.authorization_code;
    /** Every call to Ramp's token endpoint, failed ones included (the grant counters count successes only). */
    const tokenCalls = async () => (await emu.stats()).endpoints['POST /sandbox/developer/v1/token'] ?? 0;

    async function startFlow(tenant = owner, query = ''): Promise<URL> {
      const res = await request(`${t.url}/api/v1/ramp/connect-url${query}`, { headers: tenant.headers });
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      return new URL(res.body.connect_url);
    }

    /** Opens the connect URL in `browser` (our launch route, then Ramp) and returns where Ramp redirects (our callback). */
    async function authorize(connectUrl: URL, decision: 'approve' | 'deny' = 'approve', inBrowser = browser): Promise<string> {
      await emu.consent({ decision, role: 'admin' });
      const res = await inBrowser.openConnectUrl(connectUrl);
      expect(res.status).toBe(302);
      return res.headers.get('location')!;
    }

    /** Ramp's redirect delivered to our callback by `browser` (its binding cookie included). */
    const callBack = (callback: string, inBrowser = browser) => request(callback, { headers: { cookie: inBrowser.cookieHeader('127.0.0.1') ?? '' } });

    it('connects: PKCE S256, exact redirect_uri, tokens stored encrypted, no-store/no-referrer', async () => {
      const connectUrl = await startFlow();
      expect(connectUrl.origin + connectUrl.pathname).toBe(`${t.url}/api/v1/ramp/authorize`);
      const launch = await browser.fetch(connectUrl);
      expect(launch.status).toBe(302);
      expect(launch.headers.get('cache-control')).toBe('no-store');
      const url = new URL(launch.headers.get('location')!);
      expect(url.origin + url.pathname).toBe(`${t.emulator.url}/sandbox/v1/authorize`);
      const p = url.searchParams;
      expect(p.get('state')).toBe(connectUrl.searchParams.get('state'));
      expect(p.get('response_type')).toBe('code');
      expect(p.get('client_id')).toBe(t.emulator.defaultApp.client_id);
      expect(p.get('redirect_uri')).toBe(`${t.url}/api/v1/ramp/callback`);
      expect(p.get('code_challenge_method')).toBe('S256');
      expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(p.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(p.get('scope')).toContain('transactions:read');
      // Only the state's hash is stored.
      const stored = await t.server.ctx.db.kysely.selectFrom('oauth_states').select('state_hash').execute();
      expect(stored.map((r) => r.state_hash)).toContain(hashState(p.get('state')!));
      expect(JSON.stringify(stored)).not.toContain(p.get('state'));

      await emu.consent({ decision: 'approve', role: 'admin' });
      const callback = (await browser.fetch(url)).headers.get('location')!;
      expect(callback.startsWith(`${t.url}/api/v1/ramp/callback?`)).toBe(true);
      const before = await codeGrants();
      const res = await browser.fetch(callback);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(`${t.url}/?ramp=connected`);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(await codeGrants()).toBe(before + 1);
      const tokenCall = (await emu.stats()).requests.filter((r) => r.grant_type === 'authorization_code').at(-1)!;
      expect(tokenCall.redirect_uri).toBe(`${t.url}/api/v1/ramp/callback`);

      const status = await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers });
      expect(status.body).toMatchObject({ status: 'connected', auth_method: 'oauth', environment: 'sandbox' });
      const expiresIn = Date.parse(status.body.access_token_expires_at) - Date.now();
      expect(expiresIn).toBeGreaterThan(3_500_000);
      expect(expiresIn).toBeLessThanOrEqual(3_600_000);
      const row = await t.server.ctx.db.kysely.selectFrom('ramp_connections').selectAll().where('business_id', '=', owner.businessId).executeTakeFirstOrThrow();
      expect(row.refresh_token).not.toBeNull();
      expect(Buffer.from(row.refresh_token!).toString('latin1')).not.toContain('ramp_tok_');
    });

    it('tampered, missing, unknown, expired and reused state → 400 and no token call', async () => {
      const url = await startFlow();
      const callback = new URL(await authorize(url));
      const code = callback.searchParams.get('code')!;
      const state = callback.searchParams.get('state')!;
      const before = await codeGrants();
      const callsBefore = await tokenCalls();
      const attempts = [
        `code=${code}`,
        `code=${code}&state=`,
        // Tampered in its first character: the last one of 43 base64url characters carries only 4 bits,
        // and replacing it with 'A' left the state unchanged whenever it already ended in 'A' (1 in 16).
        `code=${code}&state=${state[0] === 'A' ? 'B' : 'A'}${state.slice(1)}`,
        `code=${code}&state=${'x'.repeat(43)}`,
        `code=${code}&state=${encodeURIComponent('../../etc')}`,
      ];
      for (const query of attempts) {
        const res = await callBack(`${t.url}/api/v1/ramp/callback?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.body.code).toBe('invalid_state');
      }
      expect(await tokenCalls()).toBe(callsBefore);
      // The genuine one still works once, then is spent.
      expect((await browser.fetch(callback)).status).toBe(302);
      const reused = await callBack(callback.toString());
      expect(reused.status).toBe(400);
      expect(await codeGrants()).toBe(before + 1);
      expect(await tokenCalls()).toBe(callsBefore + 1);

      const expiredCallback = await authorize(await startFlow());
      await t.server.ctx.db.kysely.updateTable('oauth_states').set({ expires_at: Date.now() - 1 }).execute();
      const beforeExpired = await codeGrants();
      expect((await callBack(expiredCallback)).status).toBe(400);
      expect(await codeGrants()).toBe(beforeExpired);
    });

    it('the flow is bound to the browser that opened the connect URL: a __Host- cookie, only its digest stored (docs/guarantees.md#g41)', async () => {
      const connectUrl = await startFlow();
      const launch = await browser.fetch(connectUrl);
      expect(launch.status).toBe(302);
      const setCookie = launch.headers.getSetCookie();
      expect(setCookie).toHaveLength(1);
      const [pair, ...attributes] = setCookie[0]!.split(';').map((part) => part.trim());
      const [name, secret] = pair!.split('=');
      expect(name).toBe('__Host-ramp_oauth_browser');
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(attributes.map((a) => a.toLowerCase()).sort()).toEqual(['httponly', 'max-age=600', 'path=/', 'samesite=lax', 'secure']);
      const stored = await t.server.ctx.db.kysely.selectFrom('oauth_states').select('browser_hash').where('state_hash', '=', hashState(connectUrl.searchParams.get('state')!)).executeTakeFirstOrThrow();
      expect(stored.browser_hash).toBe(hashState(secret!));
      // The launch URL binds once: opened again (here by another browser) it is refused, and the binding stays.
      const again = await new TestBrowser().fetch(connectUrl);
      expect(again.status).toBe(400);
      expect((await again.json()).code).toBe('invalid_state');
      // The same browser starting a second flow keeps its secret, so two tabs can connect two businesses.
      const second = await browser.fetch(await startFlow());
      expect(second.headers.getSetCookie()[0]).toContain(`=${secret};`);
    });

    it('a stolen callback URL delivered by another browser, or without the cookie, is a 400 with no token call; the right browser still finishes (docs/guarantees.md#g41)', async () => {
      const callback = await authorize(await startFlow());
      // The attacker's browser has a binding cookie of its own, from a flow it started itself.
      const attacker = new TestBrowser();
      await attacker.fetch(await startFlow());
      expect(attacker.cookieHeader('127.0.0.1')).toBeDefined();
      const callsBefore = await tokenCalls();
      for (const thief of [attacker, new TestBrowser()]) {
        const res = await callBack(callback, thief);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('oauth_other_browser');
        expect(res.headers.get('location')).toBeNull();
      }
      expect(await tokenCalls()).toBe(callsBefore);
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers })).body.status).toBe('disconnected');
      const res = await browser.fetch(callback);
      expect(res.headers.get('location')).toBe(`${t.url}/?ramp=connected`);
      expect(await tokenCalls()).toBe(callsBefore + 1);
    });

    it('deny → back to the page with a readable reason, no token call', async () => {
      const url = await startFlow();
      const callback = await authorize(url, 'deny');
      expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
      const before = await codeGrants();
      const res = await browser.fetch(callback);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(`${t.url}/?ramp=error&reason=access_denied`);
      expect(await codeGrants()).toBe(before);
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers })).body.status).toBe('disconnected');
    });

    it('a member at Ramp cannot consent: Ramp shows "Business not authorized…" and never redirects', async () => {
      const url = await startFlow();
      await emu.consent({ decision: 'approve', role: 'member' });
      const res = await browser.openConnectUrl(url);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('Business not authorized to use this application');
    });

    it('10 concurrent hits of the same callback → exactly one exchange', async () => {
      const url = await startFlow();
      const callback = await authorize(url);
      const before = await codeGrants();
      const results = await Promise.all(Array.from({ length: 10 }, () => browser.fetch(callback)));
      expect(results.map((r) => r.status).sort()).toEqual([302, ...Array(9).fill(400)]);
      expect(await codeGrants()).toBe(before + 1);
    });

    it('return_to must be on the allowlist (no open redirect)', async () => {
      const ok = await startFlow(owner, `?return_to=${encodeURIComponent(`${t.url}/settings?tab=ramp`)}`);
      const callback = await authorize(ok);
      const res = await browser.fetch(callback);
      expect(res.headers.get('location')).toBe(`${t.url}/settings?tab=ramp&ramp=connected`);

      const evil = [
        'https://evil.example/',
        '//evil.example/',
        `${t.url}@evil.example/`,
        `${t.url.replace('http://', 'http://user:pw@')}/`,
        `${t.url}\\@evil.example`,
        'javascript:alert(1)',
        `${t.url.replace('127.0.0.1', '127.0.0.2')}/`,
        '/relative',
      ];
      for (const target of evil) {
        const res2 = await request(`${t.url}/api/v1/ramp/connect-url?return_to=${encodeURIComponent(target)}`, { headers: owner.headers });
        expect(res2.status, target).toBe(400);
        expect(res2.body.code).toBe('return_to_not_allowed');
      }
      await fc.assert(
        fc.asyncProperty(fc.webUrl({ withQueryParameters: true, withFragments: true }), async (target) => {
          const res3 = await request(`${t.url}/api/v1/ramp/connect-url?return_to=${encodeURIComponent(target)}`, { headers: owner.headers });
          expect(res3.status).toBe(target.startsWith(`${t.url}/`) ? 200 : 400);
        }),
        { numRuns: 50 },
      );
    });

    it('redirect_uri never comes from the Host header, in the authorize URL or in the code exchange (docs/guarantees.md#g4)', async () => {
      const spoofed = { host: 'evil.example', 'x-forwarded-host': 'evil.example' };
      const res = await request(`${t.url}/api/v1/ramp/connect-url`, { headers: { ...owner.headers, ...spoofed } });
      expect(new URL(res.body.connect_url).origin).toBe(t.url);
      const launched = await browser.fetch(res.body.connect_url, { headers: spoofed });
      const rampUrl = launched.headers.get('location')!;
      expect(new URL(rampUrl).searchParams.get('redirect_uri')).toBe(`${t.url}/api/v1/ramp/callback`);
      await emu.consent({ decision: 'approve', role: 'admin' });
      const callback = (await browser.fetch(rampUrl)).headers.get('location')!;
      const before = await codeGrants();
      const answer = await request(callback, { headers: { ...spoofed, cookie: browser.cookieHeader('127.0.0.1')! } });
      expect(answer.status).toBe(302);
      expect(await codeGrants()).toBe(before + 1);
      const tokenCall = (await emu.stats()).requests.filter((r) => r.grant_type === 'authorization_code').at(-1)!;
      expect(tokenCall.redirect_uri).toBe(`${t.url}/api/v1/ramp/callback`);
    });

    it('an authorization response naming another issuer is rejected before any token call', async () => {
      const url = await startFlow();
      const callback = new URL(await authorize(url));
      callback.searchParams.set('iss', 'https://app.ramp.com');
      const before = await codeGrants();
      const res = await callBack(callback.toString());
      expect(res.status).toBe(400);
      expect(await codeGrants()).toBe(before);
    });

    it('disconnect revokes the grant at Ramp (refresh token first), then deletes the connection', async () => {
      const callback = await authorize(await startFlow());
      expect((await browser.fetch(callback)).status).toBe(302);
      const revokedGrants = async () => (await emu.grants()).filter((grant) => grant.revoked).length;
      const before = await revokedGrants();
      const res = await request(`${t.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: owner.headers });
      expect(res.status).toBe(204);
      expect(res.headers.get('x-ramp-revocation')).toBe('revoked');
      expect(await revokedGrants()).toBe(before + 1);
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers })).body.status).toBe('disconnected');
    });

    it('re-consent revokes the grant it replaces at Ramp before exchanging its code; when Ramp cannot take that revocation, the code goes unused', async () => {
      const connectionId = async () => (await t.server.ctx.db.kysely.selectFrom('ramp_connections').select('id').where('business_id', '=', owner.businessId).executeTakeFirstOrThrow()).id;
      const revokedGrants = async () => (await emu.grants()).filter((grant) => grant.revoked).length;
      expect((await callBack(await authorize(await startFlow()))).headers.get('location')).toBe(`${t.url}/?ramp=connected`);
      const first = await connectionId();

      // Consent again over the live connection: its grant is revoked, the new one is the connection.
      const [revoked, grants] = [await revokedGrants(), await codeGrants()];
      expect((await callBack(await authorize(await startFlow()))).headers.get('location')).toBe(`${t.url}/?ramp=connected`);
      const second = await connectionId();
      expect(second).not.toBe(first);
      expect(await codeGrants()).toBe(grants + 1);
      expect(await revokedGrants()).toBe(revoked + 1);
      const audited = await t.server.ctx.db.kysely.selectFrom('audit_log').select(['outcome', 'target', 'detail']).where('business_id', '=', owner.businessId).where('action', '=', 'disconnect').execute();
      expect(audited).toEqual([{ outcome: 'success', target: `connection_id=${first}`, detail: 'replaced by re-consent: revoked at Ramp and deleted' }]);
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers })).body.status).toBe('connected');

      // Ramp fails the revocation: the connection is kept for the retry pass, and no second grant is made.
      const retried = await authorize(await startFlow());
      await emu.faults({ error_rate: 1, status: 503, paths: ['/sandbox/developer/v1/token/revoke'] });
      try {
        expect((await callBack(retried)).headers.get('location')).toBe(`${t.url}/?ramp=error&reason=ramp_unavailable`);
      } finally {
        await emu.faults({ reset: true });
      }
      expect(await codeGrants()).toBe(grants + 1);
      expect(await revokedGrants()).toBe(revoked + 1);
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: owner.headers })).body.status).toBe('revoke_pending');
      // While that is pending, a further consent is refused before its code is exchanged, saying why.
      expect((await callBack(await authorize(await startFlow()))).headers.get('location')).toBe(`${t.url}/?ramp=error&reason=revocation_pending`);
      expect(await codeGrants()).toBe(grants + 1);
      await t.server.ctx.db.kysely.updateTable('ramp_connections').set({ next_revoke_at: Date.now() - 1 }).where('business_id', '=', owner.businessId).execute();
      expect(await new ConnectService(t.server.features.services).retryRevocations()).toBe(1);
      expect(await revokedGrants()).toBe(revoked + 2);
      expect((await callBack(await authorize(await startFlow()))).headers.get('location')).toBe(`${t.url}/?ramp=connected`);
      expect(await connectionId()).not.toBe(second);
    });

    it('only owners and admins may start the flow', async () => {
      const member = await createTenant(t.server.ctx.db, 'member', { businessId: owner.businessId });
      expect((await request(`${t.url}/api/v1/ramp/connect-url`, { headers: member.headers })).status).toBe(403);
    });
  });
}
