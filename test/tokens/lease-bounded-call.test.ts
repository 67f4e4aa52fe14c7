/**
 * A refresh's call to Ramp ends before its lease does, whatever the lease is set to (token-manager.ts,
 * `TOKEN_CALL_SHARE_OF_LEASE`). Otherwise a live holder still waiting on a slow Ramp loses its lease, a
 * second replica takes it and presents the same refresh token, and in strict rotation Ramp then revokes
 * the grant: a lost rotation that no kill and no timeout explains (the chaos run's one unexplained
 * casualty). Here the lease is 2 s and Ramp's token endpoint answers after 4 s: the holder gives up
 * first, as a timeout, keeps its attempt id (Ramp may have rotated) and frees the lease itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/token-harness.ts';
import { DIALECTS } from '../helpers/test-db.ts';

const LEASE_MS = 2_000;
const RAMP_TOKEN_LATENCY_MS = 4_000;

for (const dialect of DIALECTS) {
  describe(`${dialect}: a token call fits inside the refresh lease`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => {
      await h?.close();
    });

    for (const grant of ['oauth', 'client_credentials'] as const) {
      it(`${grant}: Ramp slower than the lease → the call times out under the lease, which its holder releases`, async () => {
        const row = grant === 'oauth' ? await h.connectOAuth() : await h.connectClientCredentials();
        await h.db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: h.ctx.now() - 1 }).where('id', '=', row.id).execute();
        await h.emu.faults({ latency_ms: RAMP_TOKEN_LATENCY_MS, paths: ['/sandbox/developer/v1/token'] });
        try {
          // The harness's OAuth client allows 5 s, more than Ramp's 4 s: only the lease can cut the call short.
          const holder = h.newManager({ leaseMs: LEASE_MS, callerDeadlineMs: 1, random: () => 0 });
          await expect(holder.getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
        } finally {
          await h.emu.faults({ latency_ms: 0, paths: null });
        }
        const after = (await h.store.find(row.business_id))!;
        // Released by its holder (the release is fenced by owner and version): no one else had taken it.
        expect(after).toMatchObject({ status: 'connected', lease_owner: null, lease_until: null, version: row.version, refresh_failures: 1 });
        expect(after.last_error).toMatch(/did not answer the token refresh in time/);
        // The outcome at Ramp is unknown, so the attempt stays on the row for the next refresh to judge.
        expect(after.refresh_attempt_id).not.toBeNull();
      });
    }
  });
}
