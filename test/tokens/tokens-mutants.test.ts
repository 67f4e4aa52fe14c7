/**
 * The token manager and the refresh scheduler in-process, against the real database and the emulator
 * on loopback with a shared simulated clock: the hot cache, what an access carries, the refusals before
 * any Ramp call, a key this replica lacks, unreadable secrets, every transient failure's bookkeeping
 * (failure count, message, next try, kept attempt id, the rate-limited refresh_failed event), the
 * metrics, the lease wait's exits, `refreshIfDue`'s three answers and the scheduler's loop. Written to
 * kill the mutants `npm run mutate -- tokens` left alive.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionStore, releaseClaims } from '../../src/connections/connection-store.ts';
import { createPendingAuthorization, hashState } from '../../src/connections/oauth-state.ts';
import { metrics } from '../../src/metrics/registry.ts';
import { createLogger } from '../../src/logging/logger.ts';
import type { OAuthFailure } from '../../src/oauth/oauth-errors.ts';
import { RampOAuthClient, type CallOptions } from '../../src/oauth/ramp-oauth-client.ts';
import type { ClientCredentials, TokenResult } from '../../src/oauth/token-endpoint.ts';
import { RefreshScheduler } from '../../src/tokens/refresh-scheduler.ts';
import { createBusiness } from '../../src/tenancy/tenancy-repo.ts';
import type { RampConnectionsTable } from '../../src/db/schema.ts';
import { parseKeyRing, staticKeyRing } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { createHarness, rampAccepts, type Harness } from '../helpers/token-harness.ts';
import type { AppContext } from '../../src/app-context.ts';
import { openTestDb } from '../helpers/test-db.ts';

/**
 * `promise`, marked handled now: it may reject while the test is still awaiting something else (under
 * load the waiter can see the row change before the test's next line runs), and an unhandled
 * rejection fails the whole run even though the test's own `expect(…).rejects` follows.
 */
function handledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

const MINUTE = 60_000;
const TOKEN_PATH = '/sandbox/developer/v1/token';
const OTHER_KEYS = `other:${Buffer.alloc(32, 9).toString('base64')}`;

/** Ramp answering a refresh with a failure the emulator has no switch for (an app's grant or scopes changed). */
class FailingOAuth extends RampOAuthClient {
  calls: { apiBaseUrl: string; client: ClientCredentials; token?: string; scopes?: readonly string[]; timeoutMs?: number | undefined }[] = [];
  readonly failure: OAuthFailure;
  constructor(failure: OAuthFailure) {
    super();
    this.failure = failure;
  }
  override async refresh(apiBaseUrl: string, client: ClientCredentials, refreshToken: string, call?: CallOptions): Promise<TokenResult> {
    this.calls.push({ apiBaseUrl, client, token: refreshToken, timeoutMs: call?.timeoutMs });
    return { ok: false, failure: this.failure };
  }
  override async clientCredentials(apiBaseUrl: string, client: ClientCredentials, scopes: readonly string[], call?: CallOptions): Promise<TokenResult> {
    this.calls.push({ apiBaseUrl, client, scopes, timeoutMs: call?.timeoutMs });
    return { ok: false, failure: this.failure };
  }
}

async function counter(metric: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }, labels: Record<string, string>, name?: string): Promise<number> {
  const { values } = await metric.get();
  return values.filter((v) => (name === undefined || (v as { metricName?: string }).metricName === name) && Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: token manager, branch by branch`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());
    beforeEach(async () => {
      await h.emu.faults({ reset: true });
      await h.emu.faults({ rate_limit: false });
    });

    const rowOf = async (businessId: string) => (await h.store.find(businessId))!;
    const set = (id: string, values: Partial<RampConnectionsTable>) => h.db.kysely.updateTable('ramp_connections').set(values).where('id', '=', id).execute();
    const expire = (row: RampConnectionsTable) => set(row.id, { access_token_expires_at: h.ctx.now() - 1 });
    const refreshes = async () => (await h.emu.stats()).grants.refresh_token;
    const eventsOf = (businessId: string, type: string) => h.events.events.filter((e) => e.businessId === businessId && e.type === type).map((e) => e.data);

    it('an access carries the connection, token, API base, environment and expiry', async () => {
      const row = await h.connectOAuth();
      const access = await h.manager.getAccess(row.business_id);
      expect(access).toEqual({ connectionId: row.id, accessToken: h.store.open(row).accessToken, apiBaseUrl: `${h.emulator.url}/sandbox`, environment: 'sandbox', expiresAt: row.access_token_expires_at });
      const cc = await h.connectClientCredentials();
      expect(await h.manager.getAccess(cc.business_id)).toEqual({ connectionId: cc.id, accessToken: h.store.open(cc).accessToken, apiBaseUrl: `${h.emulator.url}/sandbox`, environment: 'sandbox', expiresAt: cc.access_token_expires_at });
    });

    it('hot cache: served from memory while fresh; a change through the store drops it; a stale entry is not served', async () => {
      const manager = h.newManager({ hotCacheMs: 3_600_000 });
      const row = await h.connectOAuth();
      const first = await manager.getAccess(row.business_id);
      // Another replica's delete (not through this store): still served from memory.
      await h.db.kysely.deleteFrom('ramp_connections').where('id', '=', row.id).execute();
      expect(await manager.getAccess(row.business_id)).toEqual(first);
      // This process's own change invalidates at once.
      await h.store.delete(row);
      await expect(manager.getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_not_connected', status: 404 });

      const other = await h.connectOAuth();
      const cached = await manager.getAccess(other.business_id);
      // Past freshUntil the entry is not used even though the cache still holds it: a refresh happens.
      await h.advance(56 * MINUTE);
      const before = await refreshes();
      const renewed = await manager.getAccess(other.business_id);
      expect(renewed.accessToken).not.toBe(cached.accessToken);
      expect(await refreshes()).toBe(before + 1);
      // No cache at all (0 ms): every call reads the row.
      const uncached = h.newManager({ hotCacheMs: 0 });
      await uncached.getAccess(other.business_id);
      await h.db.kysely.deleteFrom('ramp_connections').where('id', '=', other.id).execute();
      await expect(uncached.getAccess(other.business_id)).rejects.toMatchObject({ code: 'ramp_not_connected' });
    });

    it('refusals before any Ramp call: no row (404), not connected (409), no stored access token (409)', async () => {
      const row = await h.connectOAuth();
      const blank = await h.connectOAuth();
      const before = (await h.emu.stats()).endpoints[`POST ${TOKEN_PATH}`] ?? 0;
      await expect(h.manager.getAccess('00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ code: 'ramp_not_connected', status: 404 });
      await set(row.id, { status: 'needs_reauth' });
      await expect(h.manager.getAccess(row.business_id)).rejects.toMatchObject({ code: 'reauthorization_required', status: 409 });
      await expect(h.manager.refreshAfterUnauthorized(row.business_id, 'x')).rejects.toMatchObject({ code: 'reauthorization_required' });
      await set(blank.id, { access_token: null });
      await expect(h.newManager().getAccess(blank.business_id)).rejects.toMatchObject({ code: 'reauthorization_required' });
      expect((await h.emu.stats()).endpoints[`POST ${TOKEN_PATH}`] ?? 0).toBe(before);
    });

    it('a row sealed under a key this replica lacks: 503 with Retry-After, the row untouched (fresh and due alike)', async () => {
      const lacking = h.newManager({ store: new ConnectionStore(h.db, new Vault(staticKeyRing(parseKeyRing(OTHER_KEYS))), h.ctx.now) });
      const row = await h.connectOAuth();
      await expect(lacking.getAccess(row.business_id)).rejects.toMatchObject({ code: 'encryption_key_unavailable', headers: { 'retry-after': '5' } });
      await expire(row);
      const before = await refreshes();
      await expect(lacking.getAccess(row.business_id)).rejects.toMatchObject({ code: 'encryption_key_unavailable' });
      expect(await refreshes()).toBe(before);
      const after = await rowOf(row.business_id);
      expect(after).toMatchObject({ status: 'connected', lease_owner: null, lease_until: null, refresh_attempt_id: null, refresh_failures: 0 });
      expect(eventsOf(row.business_id, 'connection.needs_reauth')).toEqual([]);
      // The replica that has the key refreshes it.
      expect(await rampAccepts(h.emulator.url, (await h.manager.getAccess(row.business_id)).accessToken)).toBe(true);
    });

    it('unreadable secrets when refreshing: credentials_corrupt, needs_reauth once, audit row and event', async () => {
      const row = await h.connectOAuth();
      const other = await h.connectOAuth();
      await set(row.id, { refresh_token: other.refresh_token, access_token_expires_at: h.ctx.now() - 1 });
      const needsReauthBefore = await counter(metrics.needsReauth, { reason: 'credentials_corrupt' });
      await expect(h.manager.getAccess(row.business_id)).rejects.toMatchObject({ code: 'credentials_corrupt', status: 409 });
      expect(await rowOf(row.business_id)).toMatchObject({ status: 'needs_reauth', status_reason: 'credentials_corrupt', last_error: 'Stored credentials could not be decrypted' });
      expect(eventsOf(row.business_id, 'connection.needs_reauth')).toEqual([{ connection_id: row.id, reason: 'credentials_corrupt', message: 'Stored credentials could not be decrypted' }]);
      const audit = await h.db.kysely.selectFrom('audit_log').selectAll().where('business_id', '=', row.business_id).execute();
      expect(audit.map((a) => [a.action, a.outcome, a.detail, a.actor_token_id])).toEqual([['connection.needs_reauth', 'failure', 'credentials_corrupt', null]]);
      expect(await counter(metrics.needsReauth, { reason: 'credentials_corrupt' })).toBe(needsReauthBefore + 1);
    });

    it('a 5xx: one attempt, then failures counted, Ramp\'s status in the message, next try 30 s on, one refresh_failed event per 15 minutes', async () => {
      const row = await h.connectOAuth();
      await expire(row);
      const once = h.newManager({ callerDeadlineMs: 0, random: () => 0 });
      await h.emu.faults({ error_rate: 1, status: 502, paths: [TOKEN_PATH] });
      const failuresBefore = await counter(metrics.tokenRefreshes, { grant: 'refresh_token', outcome: 'server_error' });
      await expect(once.getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable', status: 502, message: 'Ramp could not refresh the access token right now; try again shortly' });
      expect(await counter(metrics.tokenRefreshes, { grant: 'refresh_token', outcome: 'server_error' })).toBe(failuresBefore + 1);
      const first = await rowOf(row.business_id);
      expect(first).toMatchObject({ status: 'connected', refresh_failures: 1, last_error: 'Ramp answered 502 to the token refresh; will retry.', lease_owner: null, lease_until: null, refresh_attempt_id: null, version: row.version });
      expect(first.next_refresh_at! - first.last_error_at!).toBe(30_000);
      expect(eventsOf(row.business_id, 'connection.refresh_failed')).toEqual([{ connection_id: row.id, code: 'server_error', failures: 1 }]);
      // Again within 15 minutes of the last failure: counted, no second event.
      await h.advance(14 * MINUTE);
      expect(await once.refreshIfDue(row.business_id)).toBe('failed');
      expect(await rowOf(row.business_id)).toMatchObject({ refresh_failures: 2 });
      expect(eventsOf(row.business_id, 'connection.refresh_failed')).toHaveLength(1);
      await h.advance(15 * MINUTE + 1);
      await expect(once.getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      expect(eventsOf(row.business_id, 'connection.refresh_failed')).toEqual([
        { connection_id: row.id, code: 'server_error', failures: 1 },
        { connection_id: row.id, code: 'server_error', failures: 3 },
      ]);
      // Random 1: the jitter is the whole capped ceiling (30 s · 2^(attempt + failures)).
      const unlucky = h.newManager({ callerDeadlineMs: 0, random: () => 0.999_999 });
      await expect(unlucky.getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      const fourth = await rowOf(row.business_id);
      expect(fourth.refresh_failures).toBe(4);
      expect(fourth.next_refresh_at! - fourth.last_error_at!).toBe(30_000 + Math.floor(0.999_999 * Math.min(30 * MINUTE, 30_000 * 2 ** 4)));
      // Ramp back: the next success resets the counters and says so once.
      await h.emu.faults({ reset: true });
      await h.emu.faults({ rate_limit: false });
      await h.manager.getAccess(row.business_id);
      expect(await rowOf(row.business_id)).toMatchObject({ refresh_failures: 0, last_error: null });
      expect(eventsOf(row.business_id, 'connection.recovered')).toEqual([{ connection_id: row.id, after_failures: 4 }]);
    });

    it('a 5xx with Retry-After: the next try waits at least that long', async () => {
      const row = await h.connectOAuth();
      await expire(row);
      await h.emu.faults({ error_rate: 1, status: 503, retry_after_s: 600, paths: [TOKEN_PATH] });
      await expect(h.newManager({ callerDeadlineMs: 0, random: () => 0 }).getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      const after = await rowOf(row.business_id);
      expect(after.next_refresh_at! - after.last_error_at!).toBe(600_000);
    });

    it('429 at the token endpoint: ramp_rate_limited for the caller, counted as rate limited, next try after Retry-After', async () => {
      const row = await h.connectOAuth();
      await expire(row);
      // The emulator limits resource calls only; Ramp's token endpoint answering 429 is injected.
      const oauth = new FailingOAuth({ code: 'rate_limited', permanent: false, status: 429, description: '', retryAfterMs: 90_000 });
      const limitedBefore = await counter(metrics.rampRateLimited, { endpoint: '/token' });
      const outcomeBefore = await counter(metrics.tokenRefreshes, { grant: 'refresh_token', outcome: 'rate_limited' });
      await expect(h.newManager({ oauth, callerDeadlineMs: 0, random: () => 0 }).getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_rate_limited', status: 429 });
      expect(await counter(metrics.rampRateLimited, { endpoint: '/token' })).toBe(limitedBefore + 1);
      expect(await counter(metrics.tokenRefreshes, { grant: 'refresh_token', outcome: 'rate_limited' })).toBe(outcomeBefore + 1);
      const after = await rowOf(row.business_id);
      expect(after).toMatchObject({ last_error: 'Ramp rate limit reached while refreshing; will retry.', status: 'connected', refresh_attempt_id: null });
      expect(after.next_refresh_at! - after.last_error_at!).toBe(90_000);
      expect(eventsOf(row.business_id, 'connection.refresh_failed')).toEqual([{ connection_id: row.id, code: 'rate_limited', failures: 1 }]);
      // Other failures do not count as rate limited.
      await expect(h.newManager({ oauth: new FailingOAuth({ code: 'server_error', permanent: false, status: 500, description: '' }), callerDeadlineMs: 0 }).getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      expect(await counter(metrics.rampRateLimited, { endpoint: '/token' })).toBe(limitedBefore + 1);
    });

    it('a caller with time left retries after Retry-After or its backoff, then succeeds', async () => {
      const row = await h.connectOAuth();
      await expire(row);
      await h.emu.faults({ fail_next: 1, paths: [TOKEN_PATH] });
      const before = await refreshes();
      const access = await h.newManager({ callerDeadlineMs: 60_000, random: () => 0 }).getAccess(row.business_id);
      expect(await rampAccepts(h.emulator.url, access.accessToken)).toBe(true);
      expect(await refreshes()).toBe(before + 1);
      expect(await rowOf(row.business_id)).toMatchObject({ refresh_failures: 0, status: 'connected' });
    });

    it('no answer (timeout): the attempt id is kept, the first retry comes within 1–5 s, the second backs off', async () => {
      const row = await h.connectOAuth();
      await expire(row);
      await h.emu.faults({ hang_ms: 2_000, paths: [TOKEN_PATH] });
      const impatient = h.newManager({ oauth: new RampOAuthClient({ timeoutMs: 100 }), callerDeadlineMs: 0, random: () => 0 });
      await expect(impatient.getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      const first = await rowOf(row.business_id);
      expect(first).toMatchObject({ refresh_failures: 1, last_error: 'Ramp did not answer the token refresh in time; will retry.', lease_owner: null });
      expect(first.refresh_attempt_id).not.toBeNull();
      expect(first.next_refresh_at! - first.last_error_at!).toBe(1_000);
      const maxed = h.newManager({ oauth: new RampOAuthClient({ timeoutMs: 100 }), callerDeadlineMs: 0, random: () => 0.999_999 });
      await expect(maxed.getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      const second = await rowOf(row.business_id);
      expect(second.refresh_failures).toBe(2);
      expect(second.next_refresh_at! - second.last_error_at!).toBe(30_000 + Math.floor(0.999_999 * Math.min(30 * MINUTE, 30_000 * 4)));
      // A first lost answer with the maximum jitter: 1 s + up to 1 s (the ceiling of retry 0).
      const fresh = await h.connectOAuth();
      await expire(fresh);
      await expect(maxed.getAccess(fresh.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      const lost = await rowOf(fresh.business_id);
      expect(lost.next_refresh_at! - lost.last_error_at!).toBe(1_000 + Math.floor(0.999_999 * 1_000));
    });

    it('every failure has its own message; permanent ones mark needs_reauth with it, transient ones keep the connection', async () => {
      const cases: [OAuthFailure, string, boolean][] = [
        [{ code: 'unauthorized_client', permanent: true, status: 400, description: '' }, 'The Ramp app is no longer allowed to use this grant type; enable it in Ramp Dashboard → Company → Developer.', true],
        [{ code: 'invalid_scope', permanent: true, status: 400, description: '' }, 'The Ramp app no longer allows the granted scopes; reconnect Ramp.', true],
        [{ code: 'invalid_client', permanent: true, status: 401, description: '' }, 'Ramp rejected the app credentials (the client secret may have been rotated); an admin must reconnect Ramp.', true],
        [{ code: 'invalid_grant', permanent: true, status: 400, description: '' }, 'Ramp no longer accepts this authorization (revoked, expired or already used); an admin must reconnect Ramp.', true],
        [{ code: 'network_error', permanent: false, status: 0, description: '' }, 'Ramp could not be reached to refresh the token; will retry.', false],
        [{ code: 'invalid_request', permanent: false, status: 400, description: '' }, 'Token refresh failed (invalid_request); will retry.', false],
      ];
      for (const [failure, message, permanent] of cases) {
        const row = await h.connectOAuth();
        await expire(row);
        const oauth = new FailingOAuth(failure);
        const manager = h.newManager({ oauth, callerDeadlineMs: 0, random: () => 0 });
        await expect(manager.getAccess(row.business_id)).rejects.toMatchObject({ code: permanent ? 'reauthorization_required' : 'ramp_unavailable' });
        expect(oauth.calls).toEqual([{ apiBaseUrl: `${h.emulator.url}/sandbox`, client: { clientId: h.emulator.defaultApp.client_id, clientSecret: h.emulator.defaultApp.client_secret }, token: h.store.open(row).refreshToken, timeoutMs: expect.any(Number) }]);
        const after = await rowOf(row.business_id);
        expect(after.last_error, failure.code).toBe(message);
        expect(after.status, failure.code).toBe(permanent ? 'needs_reauth' : 'connected');
        if (permanent) {
          expect(after.status_reason).toBe(failure.code);
          expect(eventsOf(row.business_id, 'connection.needs_reauth')).toEqual([{ connection_id: row.id, reason: failure.code, message }]);
        } else {
          // network_error is an unknown outcome too: its attempt id stays; invalid_request's does not.
          expect(after.refresh_attempt_id !== null, failure.code).toBe(failure.code === 'network_error');
        }
      }
    });

    it('client credentials re-issue with the customer\'s id, secret and granted scopes, counted under their grant', async () => {
      const row = await h.connectClientCredentials();
      await expire(row);
      const oauth = new FailingOAuth({ code: 'server_error', permanent: false, status: 500, description: '' });
      await expect(h.newManager({ oauth, oauthApp: undefined, callerDeadlineMs: 0 }).getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      expect(oauth.calls).toEqual([{ apiBaseUrl: `${h.emulator.url}/sandbox`, client: { clientId: row.client_id, clientSecret: h.store.open(row).clientSecret }, scopes: row.scopes.split(' '), timeoutMs: expect.any(Number) }]);
      expect(row.scopes.split(' ').length).toBeGreaterThan(1);
      // With no OAuth app configured a client-credentials connection still refreshes (it needs none).
      const ccBefore = await counter(metrics.tokenRefreshes, { grant: 'client_credentials', outcome: 'success' });
      const durationBefore = await counter(metrics.tokenRefreshDuration, { grant: 'client_credentials' }, 'ramp_connect_token_refresh_duration_seconds_count');
      const access = await h.newManager({ oauthApp: undefined }).getAccess(row.business_id);
      expect(await rampAccepts(h.emulator.url, access.accessToken)).toBe(true);
      expect(await counter(metrics.tokenRefreshes, { grant: 'client_credentials', outcome: 'success' })).toBe(ccBefore + 1);
      expect(await counter(metrics.tokenRefreshDuration, { grant: 'client_credentials' }, 'ramp_connect_token_refresh_duration_seconds_count')).toBe(durationBefore + 1);
    });

    it('an auth-code row without a refresh token: needs_reauth (invalid_grant) without asking Ramp', async () => {
      const row = await h.connectOAuth();
      await set(row.id, { refresh_token: null, access_token_expires_at: h.ctx.now() - 1 });
      const before = (await h.emu.stats()).endpoints[`POST ${TOKEN_PATH}`] ?? 0;
      await expect(h.manager.getAccess(row.business_id)).rejects.toMatchObject({ code: 'reauthorization_required' });
      expect((await h.emu.stats()).endpoints[`POST ${TOKEN_PATH}`] ?? 0).toBe(before);
      expect(await rowOf(row.business_id)).toMatchObject({ status: 'needs_reauth', status_reason: 'invalid_grant' });
    });

    it('Ramp struggling: a caller still gets a token with more than 30 s left, unless Ramp rejected that very token', async () => {
      const row = await h.connectOAuth();
      await set(row.id, { access_token_expires_at: h.ctx.now() + 4 * MINUTE, last_refreshed_at: h.ctx.now() - 56 * MINUTE });
      await h.emu.faults({ error_rate: 1, paths: [TOKEN_PATH] });
      const manager = h.newManager({ callerDeadlineMs: 0 });
      const access = await manager.getAccess(row.business_id);
      expect(access.accessToken).toBe(h.store.open(row).accessToken);
      await expect(manager.refreshAfterUnauthorized(row.business_id, access.accessToken)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      // 20 s left: not worth handing out.
      await set(row.id, { access_token_expires_at: h.ctx.now() + 20_000, last_refreshed_at: h.ctx.now() - 59 * MINUTE });
      await expect(manager.getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
    });

    it('a rejected token already replaced is answered with the current one without Ramp; the current one is refreshed', async () => {
      const row = await h.connectOAuth();
      const current = h.store.open(row).accessToken!;
      const before = await refreshes();
      expect((await h.manager.refreshAfterUnauthorized(row.business_id, 'an-older-token')).accessToken).toBe(current);
      expect(await refreshes()).toBe(before);
      const renewed = await h.manager.refreshAfterUnauthorized(row.business_id, current);
      expect(renewed.accessToken).not.toBe(current);
      expect(await refreshes()).toBe(before + 1);
    });

    it('the scheduler\'s entry: not_due without a connected row or before the due time, refreshed when due, failed on an ApiError', async () => {
      expect(await h.manager.refreshIfDue('00000000-0000-0000-0000-000000000000')).toBe('not_due');
      const row = await h.connectOAuth();
      const before = await refreshes();
      expect(await h.manager.refreshIfDue(row.business_id)).toBe('not_due');
      await set(row.id, { next_refresh_at: null });
      expect(await h.manager.refreshIfDue(row.business_id)).toBe('not_due');
      await set(row.id, { next_refresh_at: h.ctx.now() + 60_000 });
      expect(await h.manager.refreshIfDue(row.business_id)).toBe('not_due');
      expect(await refreshes()).toBe(before);
      await set(row.id, { next_refresh_at: h.ctx.now() });
      expect(await h.manager.refreshIfDue(row.business_id)).toBe('refreshed');
      expect(await refreshes()).toBe(before + 1);
      await set(row.id, { status: 'needs_reauth' });
      expect(await h.manager.refreshIfDue(row.business_id)).toBe('not_due');
      await set(row.id, { status: 'connected', next_refresh_at: h.ctx.now() - 1 });
      await h.emu.faults({ error_rate: 1, paths: [TOKEN_PATH] });
      // Due but still valid: Ramp failing leaves the current token, so nothing was refreshed.
      expect(await h.manager.refreshIfDue(row.business_id)).toBe('not_due');
      expect((await rowOf(row.business_id)).refresh_failures).toBe(1);
      await set(row.id, { next_refresh_at: h.ctx.now() - 1, access_token_expires_at: h.ctx.now() - 1 });
      expect(await h.manager.refreshIfDue(row.business_id)).toBe('failed');
      // One attempt only, whatever the caller deadline.
      expect((await rowOf(row.business_id)).refresh_failures).toBe(2);
      // Anything but an ApiError is not an expected outcome: it propagates.
      class BrokenStore extends ConnectionStore {
        override async find(): Promise<RampConnectionsTable | undefined> {
          throw new Error('injected: the database is gone');
        }
      }
      const broken = h.newManager({ store: new BrokenStore(h.db, h.store.vault, h.ctx.now) });
      await expect(broken.refreshIfDue(row.business_id)).rejects.toThrow('injected: the database is gone');
    });

    describe('waiting for another replica\'s lease', () => {
      it('ends when the holder writes: the caller uses the holder\'s token without calling Ramp', async () => {
        const row = await h.connectOAuth();
        await expire(row);
        const holder = (await h.store.acquireLease(await rowOf(row.business_id), 'holder', 60_000))!;
        const before = await refreshes();
        const waiting = h.manager.getAccess(row.business_id);
        const written = (await h.store.writeTokens(holder.row, holder.row.version, { accessToken: 'holders-token', refreshToken: undefined, expiresInS: 3600, scope: undefined }))!;
        expect((await waiting).accessToken).toBe('holders-token');
        expect((await waiting).expiresAt).toBe(written.access_token_expires_at);
        expect(await refreshes()).toBe(before);
      });

      it('ends when the row stops being connected or disappears', async () => {
        const row = await h.connectOAuth();
        await expire(row);
        await h.store.acquireLease(await rowOf(row.business_id), 'holder', 60_000);
        const waiting = handledLater(h.manager.getAccess(row.business_id));
        await set(row.id, { status: 'needs_reauth' });
        await expect(waiting).rejects.toMatchObject({ code: 'reauthorization_required' });

        const gone = await h.connectOAuth();
        await expire(gone);
        await h.store.acquireLease(await rowOf(gone.business_id), 'holder', 60_000);
        const orphan = handledLater(h.manager.getAccess(gone.business_id));
        await h.db.kysely.deleteFrom('ramp_connections').where('id', '=', gone.id).execute();
        await expect(orphan).rejects.toMatchObject({ code: 'ramp_not_connected' });
      });

      it('ends when the holder\'s lease lapses: the caller takes it and refreshes', async () => {
        const row = await h.connectOAuth();
        await expire(row);
        await h.store.acquireLease(await rowOf(row.business_id), 'holder', 60_000);
        const before = await refreshes();
        const waiting = h.manager.getAccess(row.business_id);
        await h.advance(60_001);
        expect(await rampAccepts(h.emulator.url, (await waiting).accessToken)).toBe(true);
        expect(await refreshes()).toBe(before + 1);
      });

      it('gives up at the caller deadline with ramp_unavailable', async () => {
        const row = await h.connectOAuth();
        await expire(row);
        await h.store.acquireLease(await rowOf(row.business_id), 'holder', 3_600_000);
        const patient = h.newManager({ callerDeadlineMs: 1_000 });
        const waiting = handledLater(patient.getAccess(row.business_id));
        await h.advance(1_000);
        await expect(waiting).rejects.toMatchObject({ code: 'ramp_unavailable' });
      });
    });
  });

  describe(`${dialect}: token manager, the rarer paths`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());
    beforeEach(async () => {
      await h.emu.faults({ reset: true });
      await h.emu.faults({ rate_limit: false });
    });

    const rowOf = async (businessId: string) => (await h.store.find(businessId))!;
    const set = (id: string, values: Partial<RampConnectionsTable>) => h.db.kysely.updateTable('ramp_connections').set(values).where('id', '=', id).execute();
    const expire = (row: RampConnectionsTable) => set(row.id, { access_token_expires_at: h.ctx.now() - 1 });
    const refreshes = async () => (await h.emu.stats()).grants.refresh_token;
    const eventsOf = (businessId: string, type: string) => h.events.events.filter((e) => e.businessId === businessId && e.type === type).map((e) => e.data);
    /** A context whose log lines are kept (what operators read), optionally on a clock the test moves. */
    const observed = (clock?: { now: number }) => {
      const lines: Record<string, unknown>[] = [];
      const sink = new Writable({
        write(chunk, _encoding, callback) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          callback();
        },
      });
      const ctx: AppContext = { ...h.ctx, log: createLogger('info', sink), ...(clock ? { now: () => clock.now } : {}) };
      return { ctx, lines, messages: () => lines.map((l) => l.msg) };
    };
    /** Resolves to whether `promise` settled while the condition was polled (a generous bound, not a speed proof). */
    const settles = async (promise: Promise<unknown>) => {
      let settled = false;
      promise.then(() => (settled = true), () => (settled = true));
      await expect.poll(() => settled, { timeout: 10_000 }).toBe(true);
    };

    it('operators read why: needs_reauth and transient failures are logged with the connection', async () => {
      const { ctx, lines } = observed();
      const row = await h.connectOAuth();
      await expire(row);
      await h.emu.faults({ error_rate: 1, status: 503, paths: [TOKEN_PATH] });
      await expect(h.newManager({ ctx, callerDeadlineMs: 0 }).getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      expect(lines.find((l) => l.msg === 'Ramp token refresh failed (transient)')).toMatchObject({ connection_id: row.id, code: 'server_error', status: 503 });
      await h.emu.faults({ reset: true });
      await h.emu.revokeGrants({ business_id: h.emulator.demoBusinessId });
      await expect(h.newManager({ ctx }).getAccess(row.business_id)).rejects.toMatchObject({ code: 'reauthorization_required' });
      expect(lines.find((l) => l.msg === 'Ramp connection needs re-authorization')).toMatchObject({ connection_id: row.id, business_id: row.business_id, reason: 'invalid_grant' });
    });

    it('a refused write: fails closed with its detail, logs the database error, stores the kept tokens next time (aged) and says so', async () => {
      const { ctx, lines } = observed();
      const row = await h.connectOAuth();
      await expire(row);
      class RefusingStore extends ConnectionStore {
        refusals = 3;
        override async writeTokens(...args: Parameters<ConnectionStore['writeTokens']>) {
          if (this.refusals-- > 0) throw new Error('injected: the database is unavailable');
          return super.writeTokens(...args);
        }
      }
      const store = new RefusingStore(h.db, h.store.vault, h.ctx.now);
      const manager = h.newManager({ ctx, store, leaseMs: 3_600_000 });
      await expect(manager.getAccess(row.business_id)).rejects.toMatchObject({ code: 'service_unavailable', message: 'The refreshed Ramp tokens could not be stored; try again' });
      const failed = lines.find((l) => l.msg === 'could not store refreshed tokens; failing closed and keeping them to store next')!;
      expect(failed).toMatchObject({ connection_id: row.id, err: { message: 'injected: the database is unavailable' } });
      // Ten minutes later the kept tokens are stored with ten minutes less to live.
      await h.advance(10 * MINUTE);
      const before = await refreshes();
      const access = await manager.getAccess(row.business_id);
      expect(await refreshes()).toBe(before);
      const stored = await rowOf(row.business_id);
      expect(stored.access_token_expires_at! - stored.last_refreshed_at!).toBe(50 * MINUTE);
      expect(access.expiresAt).toBe(stored.access_token_expires_at);
      expect(lines.find((l) => l.msg === 'stored the refreshed tokens that an earlier write failed to store')).toMatchObject({ connection_id: row.id });
    });

    it('kept tokens from an older row version are not written: Ramp is asked again', async () => {
      await h.emu.faults({ rotation: 'off' });
      const row = await h.connectOAuth();
      await expire(row);
      class RefusingOnce extends ConnectionStore {
        refusals = 3;
        override async writeTokens(...args: Parameters<ConnectionStore['writeTokens']>) {
          if (this.refusals-- > 0) throw new Error('injected: the database is unavailable');
          return super.writeTokens(...args);
        }
      }
      const manager = h.newManager({ store: new RefusingOnce(h.db, h.store.vault, h.ctx.now), leaseMs: 30_000 });
      await expect(manager.getAccess(row.business_id)).rejects.toMatchObject({ code: 'service_unavailable' });
      // Its lease lapses, another replica refreshes meanwhile (new version); then the token is due again.
      await h.advance(30_001);
      await h.manager.getAccess(row.business_id);
      await expire(await rowOf(row.business_id));
      const before = await refreshes();
      const access = await manager.getAccess(row.business_id);
      expect(await refreshes()).toBe(before + 1);
      expect(await rampAccepts(h.emulator.url, access.accessToken)).toBe(true);
    });

    it('a refresh answered from the hot cache afterwards; recovered is said only after failures, and not by a fenced-out writer', async () => {
      const manager = h.newManager({ hotCacheMs: 3_600_000 });
      const row = await h.connectOAuth();
      await expire(row);
      const access = await manager.getAccess(row.business_id);
      expect(eventsOf(row.business_id, 'connection.recovered')).toEqual([]);
      await h.db.kysely.deleteFrom('ramp_connections').where('id', '=', row.id).execute();
      expect(await manager.getAccess(row.business_id)).toEqual(access);

      // Another writer commits between our Ramp answer and our write: we are fenced out and use its token.
      const fenced = await h.connectOAuth();
      await set(fenced.id, { access_token_expires_at: h.ctx.now() - 1, refresh_failures: 2 });
      class RacedStore extends ConnectionStore {
        raced = false;
        override async writeTokens(...args: Parameters<ConnectionStore['writeTokens']>) {
          if (!this.raced) {
            this.raced = true;
            await super.writeTokens(args[0], args[1], { accessToken: 'the-other-writers-token', refreshToken: undefined, expiresInS: 3600, scope: undefined });
          }
          return super.writeTokens(...args);
        }
      }
      const raced = h.newManager({ store: new RacedStore(h.db, h.store.vault, h.ctx.now) });
      expect((await raced.getAccess(fenced.business_id)).accessToken).toBe('the-other-writers-token');
      expect(eventsOf(fenced.business_id, 'connection.recovered')).toEqual([]);
    });

    it('another replica refreshed between our read and our lease: its token, no Ramp call, the lease and attempt given back', async () => {
      const row = await h.connectOAuth();
      await expire(row);
      class LateLease extends ConnectionStore {
        override async acquireLease(...args: Parameters<ConnectionStore['acquireLease']>) {
          const [stale] = args;
          await this.writeTokens(stale, stale.version, { accessToken: 'written-meanwhile', refreshToken: undefined, expiresInS: 3600, scope: undefined });
          return super.acquireLease((await this.find(stale.business_id))!, args[1], args[2]);
        }
      }
      const before = await refreshes();
      const manager = h.newManager({ store: new LateLease(h.db, h.store.vault, h.ctx.now) });
      expect((await manager.getAccess(row.business_id)).accessToken).toBe('written-meanwhile');
      expect(await refreshes()).toBe(before);
      expect(await rowOf(row.business_id)).toMatchObject({ lease_owner: null, lease_until: null, refresh_attempt_id: null });
    });

    it('a permanent failure for a row deleted meanwhile: not connected, nothing marked', async () => {
      const row = await h.connectOAuth();
      await expire(row);
      class DeletingOAuth extends RampOAuthClient {
        override async refresh(): Promise<TokenResult> {
          await h.db.kysely.deleteFrom('ramp_connections').where('id', '=', row.id).execute();
          return { ok: false, failure: { code: 'invalid_grant', permanent: true, status: 400, description: '' } };
        }
      }
      await expect(h.newManager({ oauth: new DeletingOAuth() }).getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_not_connected' });
      expect(eventsOf(row.business_id, 'connection.needs_reauth')).toEqual([]);
    });

    it('lost_rotation only for invalid_grant: another permanent failure after an interrupted attempt keeps its own reason', async () => {
      const row = await h.connectOAuth();
      await set(row.id, { access_token_expires_at: h.ctx.now() - 1, refresh_attempt_id: 'interrupted', refresh_attempt_at: h.ctx.now() - 60_000 });
      const oauth = new FailingOAuth({ code: 'invalid_client', permanent: true, status: 401, description: '' });
      await expect(h.newManager({ oauth }).getAccess(row.business_id)).rejects.toMatchObject({ code: 'reauthorization_required' });
      expect((await rowOf(row.business_id)).status_reason).toBe('invalid_client');
    });

    it('an unexpected error from the OAuth client is not taken for corrupt secrets', async () => {
      const row = await h.connectOAuth();
      await expire(row);
      class ThrowingOAuth extends RampOAuthClient {
        override async refresh(): Promise<TokenResult> {
          throw new Error('injected: a bug in the client');
        }
      }
      await expect(h.newManager({ oauth: new ThrowingOAuth() }).getAccess(row.business_id)).rejects.toThrow('injected: a bug in the client');
      expect((await rowOf(row.business_id)).status).toBe('connected');
      expect(eventsOf(row.business_id, 'connection.needs_reauth')).toEqual([]);
    });

    it('a fresh row whose token cannot be decrypted: marked once with its message, even when read stale twice; a failed mark is logged', async () => {
      const row = await h.connectOAuth();
      const other = await h.connectOAuth();
      await set(row.id, { access_token: other.access_token });
      const stale = await rowOf(row.business_id);
      class StaleStore extends ConnectionStore {
        marks = 0;
        failMarks = false;
        override async find(): Promise<RampConnectionsTable | undefined> {
          return stale;
        }
        override async markNeedsReauth(...args: Parameters<ConnectionStore['markNeedsReauth']>) {
          try {
            if (this.failMarks) throw new Error('injected: mark failed');
            return await super.markNeedsReauth(...args);
          } finally {
            this.marks++;
          }
        }
      }
      const store = new StaleStore(h.db, h.store.vault, h.ctx.now);
      const { ctx, lines } = observed();
      const manager = h.newManager({ store, ctx, hotCacheMs: 0 });
      await expect(manager.getAccess(row.business_id)).rejects.toMatchObject({ code: 'credentials_corrupt' });
      await expect.poll(() => store.marks).toBe(1);
      await expect(manager.getAccess(row.business_id)).rejects.toMatchObject({ code: 'credentials_corrupt' });
      await expect.poll(() => store.marks).toBe(2);
      expect(await rowOf(row.business_id)).toMatchObject({ status: 'needs_reauth', status_reason: 'credentials_corrupt', last_error: 'Stored credentials could not be decrypted' });
      expect(eventsOf(row.business_id, 'connection.needs_reauth')).toHaveLength(1);
      store.failMarks = true;
      await expect(manager.getAccess(row.business_id)).rejects.toMatchObject({ code: 'credentials_corrupt' });
      await expect.poll(() => lines.find((l) => l.msg === 'could not mark the connection needs_reauth')).toMatchObject({ connection_id: row.id, err: { message: 'injected: mark failed' } });
    });

    it('client credentials: empty scopes dropped; a missing client id or secret is sent as empty', async () => {
      const row = await h.connectClientCredentials();
      await set(row.id, { access_token_expires_at: h.ctx.now() - 1, scopes: ' business:read  transactions:read ', client_id: null, client_secret: null });
      const oauth = new FailingOAuth({ code: 'server_error', permanent: false, status: 500, description: '' });
      await expect(h.newManager({ oauth, callerDeadlineMs: 0 }).getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      expect(oauth.calls).toEqual([{ apiBaseUrl: `${h.emulator.url}/sandbox`, client: { clientId: '', clientSecret: '' }, scopes: ['business:read', 'transactions:read'], timeoutMs: expect.any(Number) }]);
    });

    it('on a clock the test moves: the deadline is inclusive, the backoff counts the caller\'s attempts, refresh_failed after more than 15 minutes', async () => {
      const clock = { now: h.ctx.now() };
      const { ctx } = observed(clock);
      const row = await h.connectOAuth();
      await set(row.id, { access_token_expires_at: clock.now - 1 });
      // Deadline 0 on a frozen clock: exactly one attempt (now >= deadline).
      const once = new FailingOAuth({ code: 'server_error', permanent: false, status: 500, description: '' });
      const frozen = h.newManager({ ctx, oauth: once, callerDeadlineMs: 0, random: () => 0 });
      const attempt = frozen.getAccess(row.business_id);
      await settles(attempt);
      await expect(attempt).rejects.toMatchObject({ code: 'ramp_unavailable' });
      expect(once.calls).toHaveLength(1);
      // Exactly 15 minutes after that failure: no second refresh_failed; a millisecond more: one.
      clock.now += 15 * MINUTE;
      await expect(frozen.getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      expect(eventsOf(row.business_id, 'connection.refresh_failed')).toHaveLength(1);
      clock.now += 15 * MINUTE + 1;
      await expect(frozen.getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      expect(eventsOf(row.business_id, 'connection.refresh_failed')).toHaveLength(2);

      // Two attempts by one caller (the clock passes the deadline during the second): the second's
      // backoff counts attempt 1 + failures.
      const fresh = await h.connectOAuth();
      await set(fresh.id, { access_token_expires_at: clock.now - 1 });
      class TwoCalls extends FailingOAuth {
        override async refresh(...args: Parameters<RampOAuthClient['refresh']>): Promise<TokenResult> {
          if (this.calls.length === 1) clock.now += 10 * MINUTE;
          return super.refresh(...args);
        }
      }
      const twice = new TwoCalls({ code: 'server_error', permanent: false, status: 500, description: '' });
      await expect(h.newManager({ ctx, oauth: twice, callerDeadlineMs: 5 * MINUTE, random: () => 0.5 }).getAccess(fresh.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      expect(twice.calls).toHaveLength(2);
      const after = await rowOf(fresh.business_id);
      expect(after.refresh_failures).toBe(2);
      expect(after.next_refresh_at! - after.last_error_at!).toBe(30_000 + Math.floor(0.5 * Math.min(30 * MINUTE, 30_000 * 2 ** (1 + 2))));

      // A lease held elsewhere on a frozen clock with deadline 0: give up at once, no wait.
      const held = await h.connectOAuth();
      await set(held.id, { access_token_expires_at: clock.now - 1, lease_owner: 'elsewhere', lease_until: clock.now + 3_600_000 });
      const waiting = h.newManager({ ctx, callerDeadlineMs: 0 }).getAccess(held.business_id);
      await settles(waiting);
      await expect(waiting).rejects.toMatchObject({ code: 'ramp_unavailable' });
    });

    describe('waiting for a lease with a long caller deadline (only the row can end the wait)', () => {
      /** A manager whose reads are counted, so the test acts only once the caller is polling the holder's row. */
      const waiter = () => {
        class CountingStore extends ConnectionStore {
          finds = 0;
          override async find(id: string) {
            this.finds++;
            return super.find(id);
          }
        }
        const store = new CountingStore(h.db, h.store.vault, h.ctx.now);
        return { store, manager: h.newManager({ store, callerDeadlineMs: 3_600_000 }) };
      };

      it('the row stops being connected', async () => {
        const row = await h.connectOAuth();
        await expire(row);
        await h.store.acquireLease(await rowOf(row.business_id), 'holder', 3_600_000);
        const { store, manager } = waiter();
        const waiting = manager.getAccess(row.business_id);
        await expect.poll(() => store.finds).toBeGreaterThanOrEqual(3);
        await set(row.id, { status: 'needs_reauth' });
        await settles(waiting);
        await expect(waiting).rejects.toMatchObject({ code: 'reauthorization_required' });
      });

      it('the row is replaced by a new connection (same version number, itself leased)', async () => {
        const row = await h.connectOAuth();
        await expire(row);
        await h.store.acquireLease(await rowOf(row.business_id), 'holder', 3_600_000);
        const { store, manager } = waiter();
        const waiting = manager.getAccess(row.business_id);
        await expect.poll(() => store.finds).toBeGreaterThanOrEqual(3);
        const replacement = { ...(await rowOf(row.business_id)), id: randomUUID(), access_token_expires_at: h.ctx.now() + 3_600_000, last_refreshed_at: h.ctx.now() };
        // One transaction: the waiter polling meanwhile sees the old row or the new one, never none.
        await h.db.kysely.transaction().execute(async (trx) => {
          await trx.deleteFrom('ramp_connections').where('id', '=', row.id).execute();
          await trx.insertInto('ramp_connections').values(replacement).execute();
        });
        await settles(waiting);
        await expect(waiting).rejects.toMatchObject({ code: 'credentials_corrupt' });
      });

      it('the holder\'s lease lapses', async () => {
        const row = await h.connectOAuth();
        await expire(row);
        await h.store.acquireLease(await rowOf(row.business_id), 'holder', 60_000);
        const { store, manager } = waiter();
        const waiting = manager.getAccess(row.business_id);
        await expect.poll(() => store.finds).toBeGreaterThanOrEqual(3);
        await h.advance(60_001);
        await settles(waiting);
        expect(await rampAccepts(h.emulator.url, (await waiting).accessToken)).toBe(true);
      });
    });
  });

  describe(`${dialect}: refresh scheduler loop`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
      await h.emu.faults({ rate_limit: false });
    });
    afterAll(async () => h?.close());

    it('runOnce: claims due rows, counts refreshed and failed, clears expired pending authorizations', async () => {
      await h.db.kysely.updateTable('ramp_connections').set({ next_refresh_at: null }).execute();
      const rows = [await h.connectOAuth(), await h.connectOAuth(), await h.connectOAuth()];
      await h.db.kysely.updateTable('ramp_connections').set({ next_refresh_at: h.ctx.now() - 1 }).where('id', 'in', rows.map((r) => r.id)).execute();
      await h.db.kysely.updateTable('ramp_connections').set({ refresh_token: null }).where('id', '=', rows[2]!.id).execute();
      const now = h.ctx.now();
      const stale = await createPendingAuthorization(h.db, h.store.vault, { businessId: rows[0]!.business_id, userId: 'u', tokenId: 't', environment: 'sandbox', returnTo: 'http://127.0.0.1:1/', scopes: [], now: now - 11 * MINUTE });
      const live = await createPendingAuthorization(h.db, h.store.vault, { businessId: rows[0]!.business_id, userId: 'u', tokenId: 't', environment: 'sandbox', returnTo: 'http://127.0.0.1:1/', scopes: [], now });
      const scheduler = new RefreshScheduler({ ctx: h.ctx, manager: h.manager, concurrency: 2 });
      // The row without a refresh token fails (needs_reauth); the other two are refreshed.
      expect(await scheduler.runOnce()).toEqual({ claimed: 3, refreshed: 2, failed: 1 });
      const states = await h.db.kysely.selectFrom('oauth_states').select('state_hash').execute();
      expect(states.map((s) => s.state_hash)).toContain(hashState(live.state));
      expect(states.map((s) => s.state_hash)).not.toContain(hashState(stale.state));
      expect(await scheduler.runOnce()).toEqual({ claimed: 0, refreshed: 0, failed: 0 });
    });

    it('claimDue: the default lease is 30 s and the default batch 100', async () => {
      await h.db.kysely.updateTable('ramp_connections').set({ next_refresh_at: null }).execute();
      const row = await h.connectOAuth();
      await h.db.kysely.updateTable('ramp_connections').set({ next_refresh_at: h.ctx.now() - 1 }).where('id', '=', row.id).execute();
      const scheduler = new RefreshScheduler({ ctx: h.ctx, manager: h.manager });
      const before = h.ctx.now();
      expect(await scheduler.claimDue()).toEqual([row.business_id]);
      const leased = (await h.store.find(row.business_id))!;
      expect(leased.lease_owner).toBe(h.manager.replicaId);
      expect(leased.lease_until! - before).toBeGreaterThanOrEqual(30_000);
      expect(leased.lease_until! - h.ctx.now()).toBeLessThanOrEqual(30_000);
      // 101 due rows: one batch takes 100.
      for (let i = 0; i < 101; i++) {
        const business = await createBusiness(h.db.kysely, { name: `batch-${i}` });
        await h.db.kysely.insertInto('ramp_connections').values({ ...leased, id: randomUUID(), business_id: business.id, lease_owner: null, lease_until: null, next_refresh_at: h.ctx.now() - 1 }).execute();
      }
      expect(await scheduler.claimDue()).toHaveLength(100);
      await h.db.kysely.updateTable('ramp_connections').set({ next_refresh_at: null }).execute();
    });

    it('stop mid-batch: waits for the refresh at Ramp, starts no other, gives the rest of the claim back', async () => {
      await h.db.kysely.updateTable('ramp_connections').set({ next_refresh_at: null }).execute();
      const rows = [await h.connectOAuth(), await h.connectOAuth(), await h.connectOAuth()];
      await h.db.kysely.updateTable('ramp_connections').set({ next_refresh_at: h.ctx.now() - 1 }).where('id', 'in', rows.map((r) => r.id)).execute();
      // Ramp's token endpoint takes 3 s: the first refresh is still at Ramp when stop() is called (the
      // attempt id is written before the request leaves, and nothing in this process moves until it is seen).
      await h.emu.faults({ latency_ms: 3_000, paths: ['/sandbox/developer/v1/token'] });
      const scheduler = new RefreshScheduler({ ctx: h.ctx, manager: h.manager, concurrency: 1 });
      const refreshes = async () => (await h.emu.stats()).grants.refresh_token;
      const before = await refreshes();
      const run = scheduler.runOnce();
      const attempting = () => h.db.kysely.selectFrom('ramp_connections').select('id').where('id', 'in', rows.map((r) => r.id)).where('refresh_attempt_id', 'is not', null).execute();
      await expect.poll(async () => (await attempting()).length, { timeout: 30_000, interval: 5 }).toBe(1);
      await scheduler.stop();
      // stop() returned only after Ramp answered the refresh it was waiting for.
      expect(await refreshes()).toBe(before + 1);
      expect(await run).toEqual({ claimed: 3, refreshed: 1, failed: 0 });
      const after = await h.db.kysely.selectFrom('ramp_connections').select(['id', 'lease_owner', 'lease_until', 'next_refresh_at']).where('id', 'in', rows.map((r) => r.id)).execute();
      const waiting = after.filter((r) => r.next_refresh_at! < h.ctx.now());
      expect(waiting).toHaveLength(2);
      for (const row of waiting) expect(row).toMatchObject({ lease_owner: null, lease_until: null });
      // Another replica takes them at once, not after the 30 s claim would have lapsed.
      const other = new RefreshScheduler({ ctx: h.ctx, manager: h.newManager() });
      expect((await other.claimDue()).sort()).toEqual(rows.filter((r) => waiting.some((w) => w.id === r.id)).map((r) => r.business_id).sort());
      await h.db.kysely.updateTable('ramp_connections').set({ next_refresh_at: null, lease_owner: null, lease_until: null }).execute();
      await h.emu.faults({ reset: true });
      await h.emu.faults({ rate_limit: false });
    });

    it('releaseClaims: only this owner\'s claims on the named rows; a lease under a refresh attempt stays', async () => {
      const [claimed, attempting, foreign, unnamed] = [await h.connectOAuth(), await h.connectOAuth(), await h.connectOAuth(), await h.connectOAuth()];
      const until = h.ctx.now() + 30_000;
      const lease = (row: RampConnectionsTable, owner: string, attempt: string | null) =>
        h.db.kysely.updateTable('ramp_connections').set({ lease_owner: owner, lease_until: until, refresh_attempt_id: attempt }).where('id', '=', row.id).execute();
      await lease(claimed, 'me', null);
      await lease(attempting, 'me', 'attempt-1');
      await lease(foreign, 'other', null);
      await lease(unnamed, 'me', null);
      await releaseClaims(h.db, 'me', [claimed.business_id, attempting.business_id, foreign.business_id]);
      const leases = Object.fromEntries(
        (await h.db.kysely.selectFrom('ramp_connections').select(['id', 'lease_owner', 'lease_until']).execute()).map((r) => [r.id, [r.lease_owner, r.lease_until]]),
      );
      expect([leases[claimed.id], leases[attempting.id], leases[foreign.id], leases[unnamed.id]]).toEqual([[null, null], ['me', until], ['other', until], ['me', until]]);
      await h.db.kysely.updateTable('ramp_connections').set({ lease_owner: null, lease_until: null, refresh_attempt_id: null }).execute();
    });

    it('start: refreshes due connections on its own, again and again, until stopped', async () => {
      await h.db.kysely.updateTable('ramp_connections').set({ next_refresh_at: null }).execute();
      const row = await h.connectOAuth();
      const scheduler = new RefreshScheduler({ ctx: h.ctx, manager: h.manager, intervalMs: 20 });
      const before = (await h.emu.stats()).grants.refresh_token;
      scheduler.start();
      await h.db.kysely.updateTable('ramp_connections').set({ next_refresh_at: h.ctx.now() - 1 }).where('id', '=', row.id).execute();
      await expect.poll(async () => (await h.emu.stats()).grants.refresh_token, { timeout: 20_000 }).toBe(before + 1);
      // A second due time: the loop is still running.
      await h.db.kysely.updateTable('ramp_connections').set({ next_refresh_at: h.ctx.now() - 1 }).where('id', '=', row.id).execute();
      await expect.poll(async () => (await h.emu.stats()).grants.refresh_token, { timeout: 20_000 }).toBe(before + 2);
      await scheduler.stop();
    });
  });
}

describe('refresh scheduler timers (fake setTimeout: order and delays, not time)', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    await cleanup?.();
    cleanup = undefined;
  });

  /** The delays the scheduler asked for: the test runner (under Stryker) sets timers of its own, of a minute or more. */
  const ticks = (spy: { mock: { calls: unknown[][] } }) => spy.mock.calls.map((c) => c[1]).filter((delay) => typeof delay === 'number' && delay < 20_000);
  /** Lets the scheduler's promise chain run without advancing any timer. */
  const settle = async (until: () => boolean) => {
    for (let i = 0; i < 1_000 && !until(); i++) await new Promise((resolve) => setImmediate(resolve));
  };

  async function schedulerWith(options: { intervalMs?: number; failing?: boolean }) {
    const opened = await openTestDb('sqlite');
    cleanup = opened.cleanup;
    const errors: unknown[][] = [];
    const log = { error: (...args: unknown[]) => errors.push(args), warn: () => {}, info: () => {}, debug: () => {} } as unknown as AppContext['log'];
    const ctx = { config: {} as AppContext['config'], db: opened.db, log, now: Date.now, onClose: () => {} } as AppContext;
    const runs = { count: 0 };
    const manager = { replicaId: 'timer-test', refreshIfDue: async () => 'not_due' } as unknown as ConstructorParameters<typeof RefreshScheduler>[0]['manager'];
    const scheduler = new RefreshScheduler({ ctx, manager, ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }) });
    const runOnce = scheduler.runOnce.bind(scheduler);
    scheduler.runOnce = async () => {
      runs.count++;
      // A database failure mid-run is not reachable on demand: the run throws as such a failure would.
      if (options.failing) throw new Error('injected: claim failed');
      return runOnce();
    };
    return { scheduler, errors, runs };
  }

  it('first run within one interval (random share), then every 0.75–1.25 intervals; stop clears the timer and awaits the run', async () => {
    const { scheduler, runs } = await schedulerWith({ intervalMs: 1_000 });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    scheduler.start();
    expect(ticks(timeouts)).toEqual([500]);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(runs.count).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await settle(() => ticks(timeouts).length === 2);
    expect(runs.count).toBe(1);
    expect(ticks(timeouts)).toEqual([500, 1_000]);
    random.mockReturnValue(0);
    await vi.advanceTimersByTimeAsync(1_000);
    await settle(() => ticks(timeouts).length === 3);
    expect(ticks(timeouts)).toEqual([500, 1_000, 750]);
    random.mockReturnValue(1);
    await vi.advanceTimersByTimeAsync(750);
    await settle(() => ticks(timeouts).length === 4);
    expect(ticks(timeouts).at(-1)).toBe(1_250);
    expect(runs.count).toBe(3);
    await scheduler.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs.count).toBe(3);
    // Started again after a stop: it runs again.
    scheduler.start();
    expect(vi.getTimerCount()).toBe(1);
    await scheduler.stop();
  });

  it('the default interval is 5 s', async () => {
    const { scheduler } = await schedulerWith({});
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    scheduler.start();
    expect(ticks(timeouts)).toEqual([2_500]);
    await scheduler.stop();
  });

  it('a failed run is logged and the loop goes on', async () => {
    const { scheduler, errors, runs } = await schedulerWith({ intervalMs: 100, failing: true });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    vi.spyOn(Math, 'random').mockReturnValue(0);
    scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    await settle(() => ticks(timeouts).length === 2);
    expect(runs.count).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]![1]).toBe('refresh scheduler run failed');
    expect((errors[0]![0] as { err: Error }).err.message).toBe('injected: claim failed');
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(75);
    await settle(() => ticks(timeouts).length === 3);
    expect(errors).toHaveLength(2);
    await scheduler.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stopped while a run is in flight: that run schedules no next one', async () => {
    const { scheduler, runs } = await schedulerWith({ intervalMs: 100 });
    let release!: () => void;
    scheduler.runOnce = async () => {
      runs.count++;
      await new Promise<void>((resolve) => (release = resolve));
      return { claimed: 0, refreshed: 0, failed: 0 };
    };
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    vi.spyOn(Math, 'random').mockReturnValue(0);
    scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    await settle(() => runs.count === 1);
    const stopping = scheduler.stop();
    release();
    await stopping;
    await settle(() => false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('runOnce: outcomes counted apart (not_due is neither), at most `concurrency` refreshes at once', async () => {
    const opened = await openTestDb('sqlite');
    cleanup = opened.cleanup;
    const ctx = { config: {} as AppContext['config'], db: opened.db, log: createLogger('silent'), now: Date.now, onClose: () => {} } as AppContext;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const business = await createBusiness(opened.db.kysely, { name: `c${i}` });
      ids.push(business.id);
      await opened.db.kysely.insertInto('ramp_connections').values({
        id: randomUUID(), business_id: business.id, environment: 'sandbox', auth_method: 'oauth', status: 'connected', status_reason: null, scopes: '', client_id: 'x', data_key: new Uint8Array([1]), data_key_kid: 'k',
        access_token: null, refresh_token: null, client_secret: null, access_token_expires_at: Date.now(), last_refreshed_at: Date.now(), version: 0, lease_owner: null, lease_until: null, refresh_attempt_id: null,
        refresh_attempt_at: null, refresh_failures: 0, next_refresh_at: Date.now() - 1_000 + i, last_error: null, last_error_at: null, revoke_pending_since: null, next_revoke_at: null, created_by_token_id: null, created_at: Date.now(), updated_at: Date.now(),
      }).execute();
    }
    const outcomes = ['refreshed', 'failed', 'not_due', 'refreshed', 'not_due'] as const;
    let inFlight = 0;
    let most = 0;
    const manager = {
      replicaId: 'counting',
      refreshIfDue: async (id: string) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return outcomes[ids.indexOf(id)]!;
      },
    } as unknown as ConstructorParameters<typeof RefreshScheduler>[0]['manager'];
    expect(await new RefreshScheduler({ ctx, manager, concurrency: 1 }).runOnce()).toEqual({ claimed: 5, refreshed: 2, failed: 1 });
    expect(most).toBe(1);
  });
});
