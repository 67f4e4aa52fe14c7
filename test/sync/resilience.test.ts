/**
 * Sync under failure, on both dialects: SIGKILL mid-sync and restart (no gap, no duplicate), 429
 * storms from a tiny emulator rate limit, and 20% injected 5xx — each still ends with exactly the
 * emulator's records.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/test-db.ts';
import { connectedTenant, control, emulatorRecords, minorUnitsOf, startDataApp, startSync, storedRecords, waitForSync, type DataTestApp } from './helpers.ts';

async function expectTransactionsInSync(t: DataTestApp, businessId: string, rampBusinessId: string): Promise<void> {
  const theirs = await emulatorRecords(t.emulator, rampBusinessId, 'transactions');
  const ours = await storedRecords(t.db, businessId, 'transactions');
  expect(ours.size).toBe(theirs.size);
  for (const [id, record] of theirs) {
    expect(ours.has(id), id).toBe(true);
    expect({ amount: ours.get(id)!.amount, currency: ours.get(id)!.currency }, id).toEqual({ amount: minorUnitsOf(record.amount, record.currency_code), currency: record.currency_code });
    expect(ours.get(id)!.state, id).toBe(record.state);
  }
}

function runChild(t: DataTestApp, env: Record<string, string>): { child: ChildProcess; lines: AsyncIterableIterator<string> } {
  const child = spawn(process.execPath, ['bin/run-ts.js', 'test/sync/fixtures/sync-child.ts'], {
    env: { ...process.env, DATABASE_URL: t.database.url, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return { child, lines };
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: sync under failure`, () => {
    let t: DataTestApp;
    beforeAll(async () => {
      // No scheduler here: the restarted child process, not this one, must pick the killed sync up.
      // Short client backoff and resume pauses: the outage test below waits out three rounds of retries.
      t = await startDataApp(dialect, { sync: { pageSize: 25, resumePauseMs: 100 }, client: { backoff: { baseMs: 20, capMs: 500 } }, scheduler: false });
    });
    afterAll(async () => t?.close());

    it('a sync killed with SIGKILL after some pages resumes from its cursor and ends with exactly the emulator records', async () => {
      const tenant = await connectedTenant(t, { transactions: 1500, reimbursements: 10, bills: 5 });
      const app = await control(t.emulator, 'POST', '/apps', { business_id: tenant.rampBusinessId, grant_types: ['client_credentials'] });
      const env = { EMULATOR_API_BASE: `${t.emulator.url}/sandbox`, CLIENT_ID: app.client_id, CLIENT_SECRET: app.client_secret, BUSINESS_ID: tenant.businessId, LEASE_MS: '1000', PAGE_SIZE: '20' };
      await control(t.emulator, 'POST', '/faults', { latency_ms: 40, paths: ['/sandbox/developer/v1/transactions'] });

      const first = runChild(t, env);
      let killedAt = 0;
      for await (const line of first.lines) {
        const progress = JSON.parse(line) as { pages?: number; transactions?: number };
        if ((progress.transactions ?? 0) >= 600) {
          first.child.kill('SIGKILL');
          killedAt = progress.transactions!;
          break;
        }
      }
      await new Promise((resolve) => first.child.once('exit', resolve));
      expect(killedAt).toBeGreaterThan(0);
      const midway = await storedRecords(t.db, tenant.businessId, 'transactions');
      // The child's count is of records read: one exactly on a window edge (11 edges, segments.ts) is
      // counted by both windows and stored once.
      expect(midway.size).toBeGreaterThanOrEqual(killedAt - 11);
      expect(midway.size).toBeLessThan(1500);
      const sync = await t.db.kysely.selectFrom('syncs').selectAll().where('business_id', '=', tenant.businessId).executeTakeFirstOrThrow();
      expect(sync.status).toBe('running');
      const cursor = await t.db.kysely.selectFrom('sync_cursors').select('cursor').where('business_id', '=', tenant.businessId).where('resource', '=', 'transactions').executeTakeFirstOrThrow();
      expect(JSON.parse(cursor.cursor).run.segments.some((s: { next: string | null }) => s.next !== null)).toBe(true);

      await control(t.emulator, 'POST', '/faults', { reset: true });
      await control(t.emulator, 'DELETE', '/stats');
      const second = runChild(t, env);
      let done: { id: string; status: string } | undefined;
      for await (const line of second.lines) {
        const parsed = JSON.parse(line) as { done?: { id: string; status: string } };
        if (parsed.done) done = parsed.done;
      }
      expect(done).toEqual({ id: sync.id, status: 'completed', error: null });
      // It resumed: far fewer transaction pages than a full read (1500 / 20 = 75) were fetched.
      const stats = await control(t.emulator, 'GET', '/stats');
      expect(stats.requests.filter((r: { path: string }) => r.path === '/sandbox/developer/v1/transactions').length).toBeLessThan(75);
      await expectTransactionsInSync(t, tenant.businessId, tenant.rampBusinessId);
    }, 60_000);

    it('429 storms from a tiny rate limit and 20% 5xx answers still converge', async () => {
      const tenant = await connectedTenant(t, { transactions: 300, reimbursements: 20, bills: 10 });
      await control(t.emulator, 'POST', '/faults', { reset: true, rate_limit: { limit: 10, window_s: 1 } });
      await control(t.emulator, 'DELETE', '/stats');
      const stormed = await waitForSync(t, tenant, (await startSync(t, tenant)).sync_id);
      expect(stormed.status, JSON.stringify(stormed.error)).toBe('completed');
      const stats = await control(t.emulator, 'GET', '/stats');
      expect(stats.rate_limited).toBeGreaterThan(0);
      // After a 429 the client waits out Retry-After instead of hammering: few 429s per success.
      const ok = stats.requests.filter((r: { status: number }) => r.status === 200).length;
      expect(stats.rate_limited).toBeLessThan(ok);
      await expectTransactionsInSync(t, tenant.businessId, tenant.rampBusinessId);

      // 20% of answers are 5xx (plus a guaranteed first few), for a full sync of another business and
      // an incremental one of this business.
      const other = await connectedTenant(t, { transactions: 300, reimbursements: 20, bills: 10 });
      await control(t.emulator, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'amount', count: 20 });
      await control(t.emulator, 'POST', '/faults', { reset: true, error_rate: 0.2, fail_next: 3 });
      await control(t.emulator, 'DELETE', '/stats');
      for (const who of [other, tenant]) {
        const flaky = await waitForSync(t, who, (await startSync(t, who)).sync_id);
        expect(flaky.status, JSON.stringify(flaky.error)).toBe('completed');
      }
      expect((await control(t.emulator, 'GET', '/stats')).faults_injected).toBeGreaterThan(3);
      await control(t.emulator, 'POST', '/faults', { reset: true });
      await expectTransactionsInSync(t, tenant.businessId, tenant.rampBusinessId);
      await expectTransactionsInSync(t, other.businessId, other.rampBusinessId);
    }, 60_000);

    it('a stream whose Ramp call gives up after every retry is read on from its cursor; past `resumes` the sync fails', async () => {
      const tenant = await connectedTenant(t, { transactions: 60 });
      const usersPath = '/sandbox/developer/v1/users';
      // Six failing answers in a row: the first users call gives up after its 6 attempts (ramp_unavailable).
      await control(t.emulator, 'POST', '/faults', { reset: true, fail_next: 6, paths: [usersPath] });
      const resumed = await waitForSync(t, tenant, (await startSync(t, tenant)).sync_id);
      expect(resumed.status, JSON.stringify(resumed.error)).toBe('completed');
      expect(resumed.progress.errors).toEqual([]);
      const users = await emulatorRecords(t.emulator, tenant.rampBusinessId, 'users');
      expect(users.size).toBeGreaterThan(0);
      expect([...(await storedRecords(t.db, tenant.businessId, 'users')).keys()].sort()).toEqual([...users.keys()].sort());

      // Ramp stays down through the 1 + 2 rounds: the sync fails and says why.
      await control(t.emulator, 'POST', '/faults', { reset: true, fail_next: 1_000, paths: [usersPath] });
      const failed = await waitForSync(t, tenant, (await startSync(t, tenant)).sync_id);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/^ramp_unavailable:/);
      // What it stored before the failure is kept (a request's "nothing was saved" would be untrue here).
      expect(failed.error).toMatch(/; the records stored before it are kept\.$/);
      expect(failed.error).not.toContain('nothing was saved');
      expect(1_000 - (await control(t.emulator, 'GET', '/faults')).fail_next).toBe(18);
      await control(t.emulator, 'POST', '/faults', { reset: true });
    }, 60_000);
  });
}
