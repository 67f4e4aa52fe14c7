/**
 * A stream Ramp refuses for a missing scope (403 DEVELOPER_7100) is `skipped`, the rest of the sync runs,
 * and the sync ends `partial` naming the resource and the scope to enable; its webhook event is
 * `sync.completed` with `status: "partial"` and the same list. The decision reads the error's fields
 * (status, Ramp code), not its text (docs/ramp-behaviour.md#errors).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateSyncConfig } from '../../src/connections/sync-config.ts';
import { TEST_SCOPES } from '../helpers/cc-token-provider.ts';
import { createTenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { control, startDataApp, startSync, waitForSync, type DataTestApp } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: a stream without its scope`, () => {
    let t: DataTestApp;
    beforeAll(async () => {
      t = await startDataApp(dialect);
    });
    afterAll(async () => t?.close());

    it('is skipped, names Ramp\'s refusal and the scope, the rest is read, and the sync is partial', async () => {
      const tenant = await createTenant(t.db, 'owner');
      const rampBusinessId = randomUUID();
      await control(t.emulator, 'POST', '/seed', { business_id: rampBusinessId, transactions: 12, bills: 4 });
      const app = await control(t.emulator, 'POST', '/apps', { business_id: rampBusinessId, grant_types: ['client_credentials'], environment: 'sandbox' });
      const scopes = TEST_SCOPES.filter((scope) => scope !== 'bills:read');
      t.tokens.connect(tenant.businessId, { client_id: app.client_id, client_secret: app.client_secret, apiBaseUrl: `${t.emulator.url}/sandbox`, scopes });

      const done = await waitForSync(t, tenant, (await startSync(t, tenant)).sync_id);
      expect(done.status).toBe('partial');
      expect(done.error).toBeNull();
      expect(done.progress.resources.bills.status).toBe('skipped');
      expect(done.progress.resources.transactions.status).toBe('done');
      expect(done.progress.records).toBeGreaterThan(12);
      expect(done.progress.errors).toEqual([expect.objectContaining({ code: 'ramp_error', detail: expect.stringContaining('DEVELOPER_7100') })]);
      const skipped = [{ resource: 'bills', reason: 'missing_scope', missing_scope: 'bills:read', detail: expect.stringContaining('DEVELOPER_7100') }];
      expect(done.skipped).toEqual(skipped);
      expect(done.progress.skipped).toEqual(skipped);
      const events = t.events.events.filter((e) => e.businessId === tenant.businessId);
      expect(events.map((e) => e.type)).toEqual(['sync.completed']);
      expect(events[0]!.data).toMatchObject({ sync_id: done.id, status: 'partial', skipped });
    });

    it('a stream Ramp refuses for another reason (422) is listed as ramp_error with no scope, and the sync is partial', async () => {
      const tenant = await createTenant(t.db, 'owner');
      const rampBusinessId = randomUUID();
      await control(t.emulator, 'POST', '/seed', { business_id: rampBusinessId, transactions: 3, reimbursements: 2 });
      const app = await control(t.emulator, 'POST', '/apps', { business_id: rampBusinessId, grant_types: ['client_credentials'], environment: 'sandbox' });
      t.tokens.connect(tenant.businessId, { client_id: app.client_id, client_secret: app.client_secret, apiBaseUrl: `${t.emulator.url}/sandbox`, scopes: [...TEST_SCOPES] });
      // Ramp's card_id filter takes a UUID: this one is refused with 422 DEVELOPER_7001.
      await updateSyncConfig(t.db.kysely, tenant.businessId, { sync_card_ids: ['not-a-card-id'] }, Date.now());
      const done = await waitForSync(t, tenant, (await startSync(t, tenant)).sync_id);
      expect(done.status).toBe('partial');
      expect(done.error).toBeNull();
      expect(done.skipped).toEqual([{ resource: 'transactions', reason: 'ramp_error', missing_scope: null, detail: expect.stringContaining('422') }]);
      expect(done.progress.resources.reimbursements.status).toBe('done');
    });

    it('a sync Ramp refuses nothing is completed, with an empty skipped list', async () => {
      const tenant = await createTenant(t.db, 'owner');
      const rampBusinessId = randomUUID();
      await control(t.emulator, 'POST', '/seed', { business_id: rampBusinessId, transactions: 3 });
      const app = await control(t.emulator, 'POST', '/apps', { business_id: rampBusinessId, grant_types: ['client_credentials'], environment: 'sandbox' });
      t.tokens.connect(tenant.businessId, { client_id: app.client_id, client_secret: app.client_secret, apiBaseUrl: `${t.emulator.url}/sandbox`, scopes: [...TEST_SCOPES] });
      const done = await waitForSync(t, tenant, (await startSync(t, tenant)).sync_id);
      expect(done).toMatchObject({ status: 'completed', skipped: [] });
      expect(t.events.events.find((e) => e.businessId === tenant.businessId)?.data).toMatchObject({ status: 'completed', skipped: [] });
    });
  });
}
