/**
 * Full and incremental sync of every resource over loopback HTTP against the emulator, on both
 * dialects: stored records equal the emulator's (ids and exact amounts), changes are recorded, and
 * events are emitted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/test-db.ts';
import { connectedTenant, control, emulatorRecords, minorUnitsOf, startDataApp, startSync, storedRecords, waitForSync, type DataTestApp } from './helpers.ts';

const RESOURCES = ['transactions', 'reimbursements', 'bills', 'users', 'cards', 'departments', 'locations', 'vendors'] as const;

/** The stored money columns a record should have, read from Ramp's record apart from src/ramp/money.ts. */
function expectedMoney(resource: string, record: any): { amount: number | null; currency: string | null } {
  if (resource === 'transactions') return { amount: minorUnitsOf(record.amount, record.currency_code), currency: record.currency_code };
  if (resource === 'reimbursements') return { amount: minorUnitsOf(record.amount, record.currency), currency: record.currency };
  if (resource === 'bills') return { amount: record.amount.amount, currency: record.amount.currency_code };
  return { amount: null, currency: null };
}

async function expectInSync(t: DataTestApp, businessId: string, rampBusinessId: string): Promise<void> {
  for (const resource of RESOURCES) {
    const theirs = await emulatorRecords(t.emulator, rampBusinessId, resource);
    // Ramp's bills list shows active bills only (archived ones are deleted, in Ramp's words).
    if (resource === 'bills') for (const [id, bill] of theirs) if (bill.archived_at !== null) theirs.delete(id);
    const ours = await storedRecords(t.db, businessId, resource);
    expect([...ours.keys()].sort(), resource).toEqual([...theirs.keys()].sort());
    for (const [id, record] of theirs) {
      expect(ours.get(id)!.data, `${resource} ${id}`).toEqual(record);
      expect({ amount: ours.get(id)!.amount, currency: ours.get(id)!.currency }, `${resource} ${id} money`).toEqual(expectedMoney(resource, record));
    }
  }
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: full and incremental sync`, () => {
    let t: DataTestApp;
    beforeAll(async () => {
      t = await startDataApp(dialect, { sync: { pageSize: 50 } });
    });
    afterAll(async () => t?.close());

    it('a full sync stores exactly the emulator records of every resource, then an incremental one picks up changes', async () => {
      const tenant = await connectedTenant(t, { transactions: 420, reimbursements: 60, bills: 40 });
      const started = await startSync(t, tenant);
      expect(started.status).toMatch(/queued|running/);
      const done = await waitForSync(t, tenant, started.sync_id);
      expect(done.status, JSON.stringify(done)).toBe('completed');
      expect(done.progress.resources.transactions.status).toBe('done');
      // Records read: a transaction exactly on a window edge (src/sync/segments.ts, 11 edges) is read by
      // both windows and stored once; expectInSync below holds what is stored to exactly the 420.
      expect(done.progress.resources.transactions.records).toBeGreaterThanOrEqual(420);
      expect(done.progress.resources.transactions.records).toBeLessThanOrEqual(420 + 11);
      await expectInSync(t, tenant.businessId, tenant.rampBusinessId);
      expect(t.events.events.filter((e) => e.businessId === tenant.businessId).map((e) => e.type)).toEqual(['sync.completed']);
      const link = await t.db.kysely.selectFrom('ramp_business_links').selectAll().where('business_id', '=', tenant.businessId).execute();
      expect(link.map((l) => l.ramp_business_id)).toEqual([tenant.rampBusinessId]);

      // Changes on Ramp's side: settle pending transactions, change amounts, create new ones.
      const cleared = await control(t.emulator, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'clear', count: 5 });
      const amounts = await control(t.emulator, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'amount', count: 5 });
      await control(t.emulator, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'create', count: 7 });
      await control(t.emulator, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'reimbursements', kind: 'amount', count: 3 });
      await control(t.emulator, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'bills', kind: 'clear', count: 2 });
      await control(t.emulator, 'DELETE', '/stats');

      const second = await waitForSync(t, tenant, (await startSync(t, tenant)).sync_id);
      expect(second.status).toBe('completed');
      await expectInSync(t, tenant.businessId, tenant.rampBusinessId);
      // Incremental: transactions were read with updated_after, i.e. only the changed ones (one page),
      // plus one page of what was synced to the books since (synced_after, the ready feed's exits).
      expect(second.progress.resources.transactions.records).toBeLessThan(50);
      expect(second.progress.resources.transactions.changed).toBe(cleared.ids.length + new Set(amounts.ids).size + 7 - new Set(cleared.ids.filter((id: string) => amounts.ids.includes(id))).size);
      const stats = await control(t.emulator, 'GET', '/stats');
      const txCalls = stats.requests.filter((r: any) => r.path.endsWith('/developer/v1/transactions'));
      expect(txCalls.length).toBe(2);

      const changes = await t.db.kysely.selectFrom('ramp_record_changes').selectAll().where('business_id', '=', tenant.businessId).where('resource', '=', 'transactions').execute();
      for (const id of cleared.ids) expect(changes.some((c) => c.record_id === id && c.field === 'state' && c.old_value === 'PENDING' && c.new_value === 'CLEARED')).toBe(true);
      for (const id of amounts.ids) expect(changes.some((c) => c.record_id === id && c.field === 'amount_cents')).toBe(true);
    });
  });
}
