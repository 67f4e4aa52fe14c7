/**
 * A disconnect cut off by a crash (docs/guarantees.md#g43): a `serve` process is SIGKILLed at the
 * point where Ramp has revoked the grant and the row is not yet deleted (failpoint
 * `disconnect.after_ramp_revoke=pause`). The row must already say so — `revoke_pending`, unusable —
 * so that no replica refreshes the revoked grant (Ramp answers `invalid_grant`, and the connection
 * would end `needs_reauth` as if Ramp had dropped it), and the revocation retry pass of another
 * process finishes the disconnect: row deleted, `connection.deleted`, never `connection.needs_reauth`.
 * Found by the chaos run (test/chaos/chaos.ts): a replica killed mid-disconnect left a casualty.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../helpers/processes.ts';
import { createTenant } from '../helpers/tenants.ts';
import { createHarness, serveOnHarness, type Harness } from '../helpers/token-harness.ts';
import { DIALECTS } from '../helpers/test-db.ts';

const FAILPOINT = 'disconnect.after_ramp_revoke';

describe.runIf(DIALECTS.includes('postgres'))('postgres: SIGKILL between Ramp\'s revocation and the delete', () => {
  let h: Harness;
  const processes: ServerProcess[] = [];
  beforeAll(async () => {
    h = await createHarness('postgres');
  });
  afterEach(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    processes.length = 0;
  });
  afterAll(async () => h?.close());

  async function serve(extra: Record<string, string>): Promise<ServerProcess> {
    const server = await serveOnHarness(h, { REFRESH_LEASE_MS: '2000', ...extra });
    processes.push(server);
    return server;
  }

  const eventsOf = async (businessId: string) =>
    (await h.db.kysely.selectFrom('events').select('type').where('business_id', '=', businessId).execute()).map((e) => e.type);

  it('the row is revoke_pending before Ramp is asked; another process finishes the disconnect and nobody refreshes the revoked grant', async () => {
    await h.emu.faults({ rotation: 'strict', rate_limit: false });
    const row = await h.connectOAuth();
    const admin = await createTenant(h.db, 'owner', { businessId: row.business_id, permissions: ['ramp:token'] });
    const doomed = await serve({ RAMP_CONNECT_FAILPOINTS: `${FAILPOINT}=pause` });
    const pending = fetch(`${doomed.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: admin.headers }).then(
      (res) => res.status,
      () => 'connection lost',
    );
    await expect.poll(() => doomed.output().includes(`failpoint ${FAILPOINT} reached`), { timeout: 30_000, interval: 50 }).toBe(true);
    expect((await h.emu.grants()).filter((g) => !g.revoked)).toEqual([]);
    await doomed.stop('SIGKILL');
    expect(await pending).toBe('connection lost');

    // What the crash left: the grant is gone at Ramp, and the row says it is on its way out.
    expect((await h.store.find(row.business_id))!).toMatchObject({ id: row.id, status: 'revoke_pending', lease_owner: null });

    // Another process: a caller and its scheduler find nothing to refresh; its retry pass, once the
    // retry is due, revokes again (RFC 7009 §2.2: an invalid token is answered 200) and deletes.
    await h.db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: Date.now() - 1, next_refresh_at: Date.now() - 1 }).where('id', '=', row.id).execute();
    const survivor = await serve({ REFRESH_INTERVAL_MS: '200' });
    const token = await fetch(`${survivor.url}/api/v1/ramp/token`, { headers: admin.headers });
    expect(token.status).toBe(409);
    await h.db.kysely.updateTable('ramp_connections').set({ next_revoke_at: Date.now() - 1 }).where('id', '=', row.id).execute();
    await expect.poll(async () => (await h.store.find(row.business_id)) ?? null, { timeout: 30_000, interval: 100 }).toBeNull();
    await expect.poll(() => eventsOf(row.business_id), { timeout: 30_000, interval: 100 }).toContain('connection.deleted');
    expect(await eventsOf(row.business_id)).not.toContain('connection.needs_reauth');
    expect((await h.emu.stats()).grants.refresh_token).toBe(0);
  }, 120_000);
});
