/**
 * Checklist #20 with a real crash: a `serve` process is SIGKILLed at the exact point between Ramp's
 * answer to a refresh and our commit (failpoint `refresh.after_ramp_answer=pause`, src/support/failpoint.ts),
 * so Ramp has rotated the refresh token and we never stored the new one. Another process then finds
 * the row, through a caller or through its scheduler:
 *  - strict rotation: the stored token is spent → `needs_reauth` with reason `lost_rotation` (not
 *    `invalid_grant`: the cut-off attempt is recognised), exactly one event, no further Ramp calls;
 *  - Ramp's grace: the replay of the spent token is answered and the connection recovers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RampConnectionsTable } from '../../src/db/schema.ts';
import type { ServerProcess } from '../helpers/processes.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { createHarness, rampAccepts, serveOnHarness, type Harness } from '../helpers/token-harness.ts';
import { DIALECTS } from '../helpers/test-db.ts';

const FAILPOINT = 'refresh.after_ramp_answer';

describe.runIf(DIALECTS.includes('postgres'))('postgres: SIGKILL between Ramp\'s refresh answer and the commit', () => {
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

  /** A connection whose refresh a process was killed in the middle of, after Ramp rotated its token. */
  async function killedMidRefresh(): Promise<{ row: RampConnectionsTable; caller: Tenant }> {
    const row = await h.connectOAuth();
    const caller = await createTenant(h.db, 'viewer', { businessId: row.business_id, permissions: ['ramp:token'] });
    const doomed = await serve({ RAMP_CONNECT_FAILPOINTS: `${FAILPOINT}=pause` });
    await h.db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: Date.now() - 1 }).where('id', '=', row.id).execute();
    const grantsBefore = (await h.emu.stats()).grants.refresh_token;
    const pending = fetch(`${doomed.url}/api/v1/ramp/token`, { headers: caller.headers }).then(
      (res) => res.status,
      () => 'connection lost',
    );
    await expect.poll(() => doomed.output().includes(`failpoint ${FAILPOINT} reached`), { timeout: 30_000, interval: 50 }).toBe(true);
    // Ramp has answered (and rotated); the new tokens exist only in the doomed process's memory.
    expect((await h.emu.stats()).grants.refresh_token).toBe(grantsBefore + 1);
    await doomed.stop('SIGKILL');
    expect(await pending).toBe('connection lost');
    const left = (await h.store.find(row.business_id))!;
    expect(left).toMatchObject({ status: 'connected', version: row.version });
    expect(left.refresh_attempt_id).not.toBeNull();
    return { row, caller };
  }

  async function needsReauthEvents(businessId: string): Promise<{ reason: string }[]> {
    const rows = await h.db.kysely.selectFrom('events').select('data').where('business_id', '=', businessId).where('type', '=', 'connection.needs_reauth').execute();
    return rows.map((r) => JSON.parse(r.data) as { reason: string });
  }

  it('strict rotation, found by a caller on another process: lost_rotation, one event, then no more Ramp calls', async () => {
    await h.emu.faults({ rotation: 'strict', rate_limit: false });
    const { row, caller } = await killedMidRefresh();
    const survivor = await serve({});
    const answer = await fetch(`${survivor.url}/api/v1/ramp/token`, { headers: caller.headers });
    expect(answer.status).toBe(409);
    expect(((await answer.json()) as { code: string }).code).toBe('reauthorization_required');
    expect((await h.store.find(row.business_id))!).toMatchObject({ status: 'needs_reauth', status_reason: 'lost_rotation', lease_owner: null });
    const grants = (await h.emu.stats()).grants.refresh_token;
    for (let i = 0; i < 3; i++) expect((await fetch(`${survivor.url}/api/v1/ramp/token`, { headers: caller.headers })).status).toBe(409);
    expect((await h.emu.stats()).grants.refresh_token).toBe(grants);
    expect(await needsReauthEvents(row.business_id)).toEqual([expect.objectContaining({ reason: 'lost_rotation' })]);
  }, 120_000);

  it('strict rotation, found by another process\'s scheduler: lost_rotation too, one event', async () => {
    await h.emu.faults({ rotation: 'strict', rate_limit: false });
    const { row } = await killedMidRefresh();
    await h.db.kysely.updateTable('ramp_connections').set({ next_refresh_at: Date.now() - 1 }).where('id', '=', row.id).execute();
    await serve({ REFRESH_INTERVAL_MS: '200' });
    await expect.poll(async () => (await h.store.find(row.business_id))!.status, { timeout: 30_000, interval: 100 }).toBe('needs_reauth');
    expect((await h.store.find(row.business_id))!.status_reason).toBe('lost_rotation');
    // The event is written just after the status (src/tokens/token-manager.ts, #markNeedsReauth): wait for it, then exactly one.
    await expect.poll(async () => (await needsReauthEvents(row.business_id)).length, { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);
    expect(await needsReauthEvents(row.business_id)).toEqual([expect.objectContaining({ reason: 'lost_rotation' })]);
  }, 120_000);

  it("Ramp's grace: another process replays the spent refresh token and the connection recovers", async () => {
    await h.emu.faults({ rotation: 'grace', grace_s: 30, rate_limit: false });
    const { row, caller } = await killedMidRefresh();
    const survivor = await serve({});
    const answer = await fetch(`${survivor.url}/api/v1/ramp/token`, { headers: caller.headers });
    expect(answer.status).toBe(200);
    expect(await rampAccepts(h.emulator.url, ((await answer.json()) as { access_token: string }).access_token)).toBe(true);
    expect((await h.store.find(row.business_id))!).toMatchObject({ status: 'connected', refresh_attempt_id: null, lease_owner: null });
    expect(await needsReauthEvents(row.business_id)).toEqual([]);
  }, 120_000);
});
