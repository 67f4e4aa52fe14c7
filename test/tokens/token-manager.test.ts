/**
 * Token lifecycle against the real emulator and database, both dialects, with a simulated clock shared
 * by our side and the emulator (no sleeping through hours and days):
 * 30 days of an auth-code connection with no caller ever seeing an expired token; client credentials
 * re-issued before day 10; 1,000 concurrent callers on an expired token → 1 refresh; a revoked grant →
 * needs_reauth after one call and exactly one event, then no more Ramp calls; 30% 5xx → still connected.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionStore } from '../../src/connections/connection-store.ts';
import { RampOAuthClient } from '../../src/oauth/ramp-oauth-client.ts';
import { MIN_VALIDITY_MS } from '../../src/connections/refresh-policy.ts';
import { parseKeyRing, staticKeyRing } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { TEST_ENCRYPTION_KEYS } from '../helpers/test-server.ts';
import { createHarness, rampAccepts, type Harness } from '../helpers/token-harness.ts';
import { DIALECTS } from '../helpers/test-db.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
// Under `npm run mutate` every surviving mutant re-runs this file: 3 simulated days show the same cycle.
const SIMULATED_DAYS = process.env.MUTATION_RUN ? 3 : 30;

for (const dialect of DIALECTS) {
  describe(`${dialect}: token manager`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
      await h.emu.faults({ rate_limit: false });
    });
    afterAll(async () => h.close());
    afterEach(async () => {
      await h.emu.faults({ reset: true });
      await h.emu.faults({ rate_limit: false });
    });

    // A fixed workload (80 s on a busy 2-core machine): a generous limit, not a speed bound.
    it('keeps an auth-code connection usable for 30 simulated days', async () => {
      const row = await h.connectOAuth();
      const before = (await h.emu.stats()).grants.refresh_token;
      let calls = 0;
      let step = 0;
      while (h.clock.offsetMs < SIMULATED_DAYS * DAY) {
        // Irregular steps: sometimes a caller arrives mid-hour, sometimes only the scheduler runs.
        step = (step * 7919 + 13) % 37;
        await h.advance((3 + step) * MINUTE);
        await h.scheduler.runOnce();
        if (step % 3 === 0) {
          const access = await h.manager.getAccess(row.business_id);
          calls++;
          expect(access.expiresAt - h.ctx.now()).toBeGreaterThanOrEqual(MIN_VALIDITY_MS);
          expect(await rampAccepts(h.emulator.url, access.accessToken)).toBe(true);
        }
      }
      const refreshes = (await h.emu.stats()).grants.refresh_token - before;
      // Due at 48 minutes (80% of a 1-hour token), picked up by the next scheduler run: one refresh
      // every 48–87 simulated minutes, never a failure.
      expect(refreshes).toBeGreaterThan(SIMULATED_DAYS * 24 * 60 / 87);
      expect(refreshes).toBeLessThan(SIMULATED_DAYS * 24 * 60 / 48);
      expect(calls).toBeGreaterThan((SIMULATED_DAYS * 50) / 3);
      expect((await h.store.find(row.business_id))!.status).toBe('connected');
      expect((await h.emu.stats()).refresh_reuse_detected).toBe(0);
    }, 480_000);

    it('re-issues a client-credentials token before day 10', async () => {
      const row = await h.connectClientCredentials();
      const first = await h.manager.getAccess(row.business_id);
      const grants = (await h.emu.stats()).grants.client_credentials;
      await h.advance(7 * DAY);
      await h.scheduler.runOnce();
      expect((await h.emu.stats()).grants.client_credentials).toBe(grants);
      await h.advance(1.5 * DAY);
      await h.scheduler.runOnce();
      expect((await h.emu.stats()).grants.client_credentials).toBe(grants + 1);
      const second = await h.manager.getAccess(row.business_id);
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(second.expiresAt - h.ctx.now()).toBeGreaterThan(9 * DAY);
      expect(await rampAccepts(h.emulator.url, second.accessToken)).toBe(true);
    });

    it('1,000 concurrent callers on an expired token cause exactly one refresh', async () => {
      const row = await h.connectOAuth();
      await h.advance(61 * MINUTE);
      const before = (await h.emu.stats()).grants.refresh_token;
      const results = await Promise.all(Array.from({ length: 1000 }, () => h.manager.getAccess(row.business_id)));
      expect((await h.emu.stats()).grants.refresh_token).toBe(before + 1);
      expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
      expect(await rampAccepts(h.emulator.url, results[0]!.accessToken)).toBe(true);
    });

    it('two managers (as two replicas) racing on one expired token → one refresh, both get it', async () => {
      const row = await h.connectOAuth();
      await h.advance(61 * MINUTE);
      const other = h.newManager();
      const before = (await h.emu.stats()).grants.refresh_token;
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? h.manager : other).getAccess(row.business_id)));
      expect((await h.emu.stats()).grants.refresh_token).toBe(before + 1);
      expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
    });

    /**
     * What a replica killed between Ramp's answer and its commit leaves behind (docs/guarantees.md#g20): its lease
     * and attempt id on the row, and a refresh token Ramp has already rotated. The lease then lapses and
     * the token is due on our side; the next refresh presents the spent refresh token.
     */
    async function killedMidRefresh() {
      const row = await h.connectOAuth();
      await h.db.kysely
        .updateTable('ramp_connections')
        .set({ lease_owner: 'a-replica-that-died', lease_until: h.ctx.now() + 1_000, refresh_attempt_id: 'its-attempt', refresh_attempt_at: h.ctx.now() })
        .where('id', '=', row.id)
        .execute();
      const app = { clientId: h.emulator.defaultApp.client_id, clientSecret: h.emulator.defaultApp.client_secret };
      expect((await new RampOAuthClient().refresh(`${h.emulator.url}/sandbox`, app, h.store.open(row).refreshToken!)).ok).toBe(true);
      await h.advance(2_000);
      await h.db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: h.ctx.now() - 1 }).where('id', '=', row.id).execute();
      return row;
    }

    it('killed after Ramp rotated, before the commit: with Ramp\'s grace the next refresh recovers (docs/guarantees.md#g20)', async () => {
      await h.emu.faults({ rotation: 'grace', grace_s: 30 });
      const row = await killedMidRefresh();
      const access = await h.manager.getAccess(row.business_id);
      expect(await rampAccepts(h.emulator.url, access.accessToken)).toBe(true);
      expect((await h.store.find(row.business_id))!).toMatchObject({ status: 'connected', refresh_attempt_id: null, lease_owner: null });
      expect(h.events.count('connection.needs_reauth', row.business_id)).toBe(0);
    });

    it('killed after Ramp rotated, before the commit: without grace it is needs_reauth(lost_rotation), one event (docs/guarantees.md#g20)', async () => {
      const row = await killedMidRefresh();
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => h.manager.getAccess(row.business_id)));
      expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as { code: string }).code === 'reauthorization_required')).toBe(true);
      expect((await h.store.find(row.business_id))!).toMatchObject({ status: 'needs_reauth', status_reason: 'lost_rotation' });
      expect(h.events.count('connection.needs_reauth', row.business_id)).toBe(1);
    });

    it('killed after Ramp rotated, before the commit, then found by the scheduler: still lost_rotation, not invalid_grant (its claim takes the lease first)', async () => {
      const row = await killedMidRefresh();
      await h.db.kysely.updateTable('ramp_connections').set({ next_refresh_at: h.ctx.now() - 1 }).where('id', '=', row.id).execute();
      expect((await h.scheduler.runOnce()).failed).toBeGreaterThanOrEqual(1);
      expect((await h.store.find(row.business_id))!).toMatchObject({ status: 'needs_reauth', status_reason: 'lost_rotation' });
      expect(h.events.count('connection.needs_reauth', row.business_id)).toBe(1);
    });

    it('two refreshes race on one refresh token (a lease lapsed mid-call): the loser\'s invalid_grant is resolved by re-reading, never needs_reauth (docs/guarantees.md#g22)', async () => {
      const row = await h.connectOAuth();
      await h.advance(61 * MINUTE);
      // Ramp takes 3 s. A call never outlasts its lease (it gets two thirds of it), but its holder can
      // stall past the lease's end (a GC pause, a paused VM): here our clock jumps past the first
      // replica's lease while it waits on Ramp, and a second one refreshes with the same token, which
      // Ramp refuses (rotated, not revoking the family). 3 s, not less: the second call must reach
      // Ramp before the first is answered, even on a busy machine.
      await h.emu.faults({ latency_ms: 3_000, paths: ['/sandbox/developer/v1/token'], reuse: 'reject' });
      const [first, second] = [h.newManager({ leaseMs: 10_000 }), h.newManager({ leaseMs: 10_000 })];
      const before = await h.emu.stats();
      const winner = first.getAccess(row.business_id);
      await expect.poll(async () => (await h.store.find(row.business_id))!.lease_owner).toBe(first.replicaId);
      h.clock.offsetMs += 10_001;
      const loser = second.getAccess(row.business_id);
      const [a, b] = await Promise.all([winner, loser]);
      expect(b.accessToken).toBe(a.accessToken);
      const after = await h.emu.stats();
      expect(after.grants.refresh_token - before.grants.refresh_token).toBe(1);
      expect((after.token_errors.invalid_grant ?? 0) - (before.token_errors.invalid_grant ?? 0)).toBe(1);
      expect((await h.store.find(row.business_id))!.status).toBe('connected');
      expect(h.events.count('connection.needs_reauth', row.business_id)).toBe(0);
      expect(await rampAccepts(h.emulator.url, a.accessToken)).toBe(true);
    });

    it('a revoked grant → needs_reauth after one call, exactly one event, then no more calls to Ramp', async () => {
      const row = await h.connectOAuth();
      await h.emu.revokeGrants({ business_id: h.emulator.demoBusinessId });
      await h.advance(61 * MINUTE);
      const before = await h.emu.stats();
      const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => h.manager.getAccess(row.business_id)));
      expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as { code: string }).code === 'reauthorization_required')).toBe(true);
      const after = await h.emu.stats();
      const tokenCalls = (stats: typeof after) => stats.endpoints['POST /sandbox/developer/v1/token'] ?? 0;
      expect(tokenCalls(after) - tokenCalls(before)).toBe(1);
      expect((after.token_errors.invalid_grant ?? 0) - (before.token_errors.invalid_grant ?? 0)).toBe(1);
      const stored = (await h.store.find(row.business_id))!;
      expect(stored).toMatchObject({ status: 'needs_reauth', status_reason: 'invalid_grant' });
      expect(stored.last_error).toMatch(/reconnect/);
      expect(h.events.count('connection.needs_reauth', row.business_id)).toBe(1);
      // Later callers and the scheduler leave Ramp alone.
      await expect(h.manager.getAccess(row.business_id)).rejects.toMatchObject({ code: 'reauthorization_required', status: 409 });
      expect(tokenCalls(await h.emu.stats())).toBe(tokenCalls(after));
      await h.advance(10 * MINUTE);
      expect(await h.scheduler.claimDue()).not.toContain(row.business_id);
      expect(h.events.count('connection.needs_reauth', row.business_id)).toBe(1);
    });

    it('a rotated client secret → needs_reauth (invalid_client) for a client-credentials connection', async () => {
      const row = await h.connectClientCredentials();
      await h.emu.rotateSecret(row.client_id!);
      await h.advance(10 * DAY + MINUTE);
      await expect(h.manager.getAccess(row.business_id)).rejects.toMatchObject({ code: 'reauthorization_required' });
      expect((await h.store.find(row.business_id))!.status_reason).toBe('invalid_client');
    });

    it('30% 5xx from Ramp: the connection stays connected and callers get their tokens', async () => {
      const row = await h.connectOAuth();
      await h.emu.faults({ error_rate: 0.3, status: 503, paths: ['/sandbox/developer/v1/token'] });
      for (let i = 0; i < 40; i++) {
        await h.advance(20 * MINUTE);
        await h.scheduler.runOnce();
        const access = await h.manager.getAccess(row.business_id);
        expect(access.expiresAt).toBeGreaterThan(h.ctx.now());
        const stored = (await h.store.find(row.business_id))!;
        expect(stored.status).toBe('connected');
      }
      expect(h.events.count('connection.needs_reauth', row.business_id)).toBe(0);
    });

    it('no OAuth app configured: an expired auth-code token is oauth_not_configured at once, and the grant is left alone', async () => {
      const row = await h.connectOAuth();
      await h.advance(61 * MINUTE);
      const before = (await h.emu.stats()).grants.refresh_token;
      await expect(h.newManager({ oauthApp: undefined }).getAccess(row.business_id)).rejects.toMatchObject({ code: 'oauth_not_configured' });
      expect((await h.emu.stats()).grants.refresh_token).toBe(before);
      const stored = (await h.store.find(row.business_id))!;
      expect(stored).toMatchObject({ status: 'connected', refresh_failures: 0, lease_owner: null });
      // With the app back, the same connection refreshes.
      expect(await rampAccepts(h.emulator.url, (await h.manager.getAccess(row.business_id)).accessToken)).toBe(true);
    });

    it('a refresh answer without a refresh token keeps the stored one, which the next refresh uses (docs/guarantees.md#g9)', async () => {
      const row = await h.connectOAuth();
      await h.emu.faults({ rotation: 'off_omit' });
      const stored = async () => h.store.open((await h.store.find(row.business_id))!);
      const original = (await stored()).refreshToken;
      for (let i = 0; i < 2; i++) {
        await h.advance(61 * MINUTE);
        const access = await h.manager.getAccess(row.business_id);
        expect(await rampAccepts(h.emulator.url, access.accessToken)).toBe(true);
        expect((await stored()).refreshToken).toBe(original);
      }
      expect((await h.store.find(row.business_id))!.status).toBe('connected');
    });

    it('the database refuses the refreshed tokens: the call fails closed, the next one stores them without asking Ramp again (docs/guarantees.md#g21)', async () => {
      const row = await h.connectOAuth();
      await h.advance(61 * MINUTE);
      // A failure point no real test can reach: the write of refreshed tokens throws (3 tries), then works.
      class RefusingStore extends ConnectionStore {
        refusals = 3;
        override async writeTokens(...args: Parameters<ConnectionStore['writeTokens']>) {
          if (this.refusals-- > 0) throw new Error('injected: the database is unavailable');
          return super.writeTokens(...args);
        }
      }
      const store = new RefusingStore(h.db, new Vault(staticKeyRing(parseKeyRing(TEST_ENCRYPTION_KEYS))), h.ctx.now);
      const manager = h.newManager({ store });
      const before = await h.emu.stats();
      await expect(manager.getAccess(row.business_id)).rejects.toMatchObject({ code: 'service_unavailable' });
      expect((await h.emu.stats()).grants.refresh_token).toBe(before.grants.refresh_token + 1);
      expect((await h.store.find(row.business_id))!.version).toBe(row.version);

      const access = await manager.getAccess(row.business_id);
      expect(await rampAccepts(h.emulator.url, access.accessToken)).toBe(true);
      const after = await h.emu.stats();
      expect(after.grants.refresh_token).toBe(before.grants.refresh_token + 1); // stored, not asked again
      expect(after.refresh_reuse_detected).toBe(before.refresh_reuse_detected);
      // The stored refresh token is Ramp's current one: the next refresh (strict rotation) works.
      await h.advance(61 * MINUTE);
      expect(await rampAccepts(h.emulator.url, (await h.manager.getAccess(row.business_id)).accessToken)).toBe(true);
      expect((await h.store.find(row.business_id))!.status).toBe('connected');
      expect((await h.emu.stats()).refresh_reuse_detected).toBe(before.refresh_reuse_detected);
    });

    it('a token endpoint that does not answer in time: still connected, a transient error, recovered afterwards (docs/guarantees.md#g24)', async () => {
      const row = await h.connectOAuth();
      await h.advance(61 * MINUTE);
      // A timed-out request may still be processed by Ramp and rotate the refresh token; with Ramp's
      // grace on, the replay of the old token is answered (in strict mode it is needs_reauth(lost_rotation)).
      await h.emu.faults({ hang_ms: 1_000, paths: ['/sandbox/developer/v1/token'], rotation: 'grace', grace_s: 30 });
      const impatient = h.newManager({ oauth: new RampOAuthClient({ timeoutMs: 150 }), callerDeadlineMs: 400 });
      await expect(impatient.getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      const waiting = (await h.store.find(row.business_id))!;
      expect(waiting.status).toBe('connected');
      expect(waiting.refresh_failures).toBeGreaterThan(0);
      await h.emu.faults({ hang_ms: 0 });
      const access = await h.manager.getAccess(row.business_id);
      expect(await rampAccepts(h.emulator.url, access.accessToken)).toBe(true);
      expect((await h.store.find(row.business_id))!).toMatchObject({ status: 'connected', refresh_failures: 0 });
    });

    it('a refresh whose answer is lost is retried by the scheduler within seconds, inside Ramp\'s grace; a second loss backs off', async () => {
      await h.emu.faults({ rotation: 'grace', grace_s: 30 });
      const row = await h.connectOAuth();
      await h.advance(61 * MINUTE);
      await h.emu.faults({ hang_ms: 1_000, paths: ['/sandbox/developer/v1/token'] });
      const impatient = h.newManager({ oauth: new RampOAuthClient({ timeoutMs: 150 }) });
      expect(await impatient.refreshIfDue(row.business_id)).toBe('failed');
      const first = (await h.store.find(row.business_id))!;
      expect(first.next_refresh_at! - h.ctx.now()).toBeLessThanOrEqual(5_000);
      expect(await impatient.refreshIfDue(row.business_id)).toBe('failed');
      expect((await h.store.find(row.business_id))!.next_refresh_at! - h.ctx.now()).toBeGreaterThanOrEqual(30_000);
      // Whether the timed-out requests reach Ramp before or after this one, Ramp's grace answers the replay.
      await h.emu.faults({ hang_ms: 0 });
      await h.advance(5_000);
      expect(await h.manager.refreshIfDue(row.business_id)).toBe('refreshed');
      expect((await h.store.find(row.business_id))!).toMatchObject({ status: 'connected', refresh_failures: 0 });
    });

    it('Ramp down entirely: status unchanged, a transient error for callers, recovered afterwards', async () => {
      const row = await h.connectOAuth();
      await h.advance(61 * MINUTE);
      await h.emu.faults({ error_rate: 1, status: 500, paths: ['/sandbox/developer/v1/token'] });
      const fast = h.newManager({ callerDeadlineMs: 300 });
      await expect(fast.getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
      const failing = (await h.store.find(row.business_id))!;
      expect(failing.status).toBe('connected');
      expect(failing.refresh_failures).toBeGreaterThan(0);
      expect(h.events.count('connection.refresh_failed', row.business_id)).toBe(1);
      await h.emu.faults({ reset: true });
      const access = await fast.getAccess(row.business_id);
      expect(await rampAccepts(h.emulator.url, access.accessToken)).toBe(true);
      expect(h.events.count('connection.recovered', row.business_id)).toBe(1);
      expect((await h.store.find(row.business_id))!.refresh_failures).toBe(0);
    });

    it("a ciphertext copied from another tenant's row fails closed: 409 credentials_corrupt, needs_reauth, audit row", async () => {
      const a = await h.connectOAuth();
      const b = await h.connectOAuth();
      await h.db.kysely.updateTable('ramp_connections').set({ access_token: a.access_token, access_token_expires_at: h.ctx.now() + 3_600_000 }).where('id', '=', b.id).execute();
      await expect(h.manager.getAccess(b.business_id)).rejects.toMatchObject({ code: 'credentials_corrupt', status: 409 });
      await expect.poll(async () => (await h.store.find(b.business_id))!.status_reason).toBe('credentials_corrupt');
      const auditRows = async () => (await h.db.kysely.selectFrom('audit_log').selectAll().where('business_id', '=', b.business_id).execute()).map((r) => `${r.action}:${r.detail}`);
      await expect.poll(auditRows).toContain('connection.needs_reauth:credentials_corrupt');
      // Tenant A is untouched.
      expect(await rampAccepts(h.emulator.url, (await h.manager.getAccess(a.business_id)).accessToken)).toBe(true);
    });

    it('a 401 from Ramp on a resource call forces one refresh; the new token is reused by later rejections', async () => {
      const row = await h.connectOAuth();
      const first = await h.manager.getAccess(row.business_id);
      const before = (await h.emu.stats()).grants.refresh_token;
      const [a, b] = await Promise.all([h.manager.refreshAfterUnauthorized(row.business_id, first.accessToken), h.manager.refreshAfterUnauthorized(row.business_id, first.accessToken)]);
      expect(a.accessToken).not.toBe(first.accessToken);
      expect(b.accessToken).toBe(a.accessToken);
      const again = await h.manager.refreshAfterUnauthorized(row.business_id, first.accessToken);
      expect(again.accessToken).toBe(a.accessToken);
      expect((await h.emu.stats()).grants.refresh_token).toBe(before + 1);
    });
  });

  describe(`${dialect}: short-lived access tokens`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect, { accessTokenTtlS: 120 });
      await h.emu.faults({ rate_limit: false });
    });
    afterAll(async () => h.close());

    it('a 120 s token is refreshed before it expires, as often as its lifetime asks and not on every call (docs/guarantees.md#g28)', async () => {
      const row = await h.connectOAuth();
      expect(row.access_token_expires_at! - row.last_refreshed_at!).toBe(120_000);
      const refreshes = async () => (await h.emu.stats()).grants.refresh_token;

      // Callers every 5 simulated seconds for 30 minutes: each gets a token Ramp accepts with at least a
      // fifth of its lifetime (24 s) left; one is refreshed when it has less, i.e. every ~100 s, not 360 times.
      const before = await refreshes();
      for (let elapsed = 0; elapsed < 30 * MINUTE; elapsed += 5_000) {
        await h.advance(5_000);
        const access = await h.manager.getAccess(row.business_id);
        expect(access.expiresAt - h.ctx.now()).toBeGreaterThanOrEqual(24_000);
        expect(await rampAccepts(h.emulator.url, access.accessToken)).toBe(true);
      }
      const byCallers = (await refreshes()) - before;
      expect(byCallers).toBeGreaterThanOrEqual(15);
      expect(byCallers).toBeLessThanOrEqual(20);

      // Idle: the scheduler alone (a run every 5 s) refreshes at half-life, every 60–65 s, not on every run.
      const idleBefore = await refreshes();
      for (let elapsed = 0; elapsed < 10 * MINUTE; elapsed += 5_000) {
        await h.advance(5_000);
        await h.scheduler.runOnce();
        const stored = (await h.store.find(row.business_id))!;
        expect(stored.access_token_expires_at! - h.ctx.now()).toBeGreaterThan(0);
      }
      const byScheduler = (await refreshes()) - idleBefore;
      expect(byScheduler).toBeGreaterThanOrEqual(8);
      expect(byScheduler).toBeLessThanOrEqual(11);
      expect((await h.store.find(row.business_id))!.status).toBe('connected');
      expect((await h.emu.stats()).refresh_reuse_detected).toBe(0);
    }, 120_000);
  });
}
