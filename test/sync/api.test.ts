/**
 * The Ramp data API over HTTP on both dialects: sync routes, record reads (pagination, filters,
 * exact cents), tenant isolation (403/404), roles, mark-synced, webhooks, automatic syncs claimed by
 * exactly one of two replicas, sync-config filters, events and the status summary.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateSyncConfig } from '../../src/connections/sync-config.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { RampClient } from '../../src/ramp/ramp-client.ts';
import { SyncService } from '../../src/sync/sync-service.ts';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { connectedTenant, control, emulatorRecords, minorUnitsOf, RecordingEventSink, startDataApp, startSync, storedRecords, waitForSync, type DataTestApp } from './helpers.ts';

const SECRET = 'whsec_test_secret_value';
const sign = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex');
/** Every sync of this file ends after this instant, however long the file takes. */
const FILE_STARTED_AT = Date.now();

for (const dialect of DIALECTS) {
  describe(`${dialect}: Ramp data API`, () => {
    let t: DataTestApp;
    let a: Tenant & { rampBusinessId: string };
    let b: Tenant & { rampBusinessId: string };
    const get = (path: string, tenant: { headers: Record<string, string> }) => request(`${t.url}${path}`, { headers: tenant.headers });

    beforeAll(async () => {
      t = await startDataApp(dialect, { webhookSecret: SECRET });
      a = await connectedTenant(t, { transactions: 130, reimbursements: 12, bills: 8 });
      b = await connectedTenant(t, { transactions: 40, reimbursements: 5, bills: 3 });
      for (const tenant of [a, b]) expect((await waitForSync(t, tenant, (await startSync(t, tenant)).sync_id)).status).toBe('completed');
    });
    afterAll(async () => t?.close());

    it('POST /sync returns the running sync instead of starting a second one; GET /syncs/{id} shows progress', async () => {
      await control(t.emulator, 'POST', '/faults', { latency_ms: 30 });
      const first = await startSync(t, a);
      const second = await startSync(t, a);
      expect(second.sync_id).toBe(first.sync_id);
      await control(t.emulator, 'POST', '/faults', { reset: true });
      const done = await waitForSync(t, a, first.sync_id);
      expect(done).toMatchObject({ id: first.sync_id, status: 'completed', trigger: 'manual', error: null });
      expect(done.progress.resources.transactions.status).toBe('done');
      expect(Date.parse(done.finished_at)).toBeGreaterThanOrEqual(Date.parse(done.started_at));
      const third = await startSync(t, a);
      expect(third.sync_id).not.toBe(first.sync_id);
      await waitForSync(t, a, third.sync_id);
    });

    it('tenant isolation: another business\'s token, header or sync id gets 403/404, never its data', async () => {
      const syncOfA = (await t.db.kysely.selectFrom('syncs').select('id').where('business_id', '=', a.businessId).executeTakeFirstOrThrow()).id;
      expect((await get(`/api/v1/ramp/syncs/${syncOfA}`, b)).status).toBe(404);
      expect((await get(`/api/v1/ramp/syncs/${syncOfA}`, b)).body).toEqual({ detail: 'Sync not found', code: 'sync_not_found' });
      const bWithAHeader = { headers: { ...b.headers, 'x-business-id': a.businessId } };
      for (const path of [`/api/v1/ramp/syncs/${syncOfA}`, '/api/v1/ramp/transactions', '/api/v1/ramp/users', '/api/v1/ramp/proxy/business']) {
        expect((await get(path, bWithAHeader)).status, path).toBe(403);
      }
      expect((await request(`${t.url}/api/v1/ramp/sync`, { method: 'POST', headers: bWithAHeader.headers })).status).toBe(403);
      const theirs = new Set((await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions')).keys());
      const bItems = (await get('/api/v1/ramp/transactions?limit=1000', b)).body.items as { id: string }[];
      expect(bItems).toHaveLength(40);
      expect(bItems.some((item) => theirs.has(item.id))).toBe(false);
      expect((await get('/api/v1/ramp/syncs/not-a-uuid', a)).status).toBe(422);
    });

    it('lists every resource newest first with cursor pagination and exact integer cents', async () => {
      const theirs = await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions');
      const seen: any[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await get(`/api/v1/ramp/transactions?limit=50${cursor ? `&cursor=${cursor}` : ''}`, a);
        expect(res.status).toBe(200);
        seen.push(...res.body.items);
        expect(res.body.has_more).toBe(res.body.next_cursor !== null);
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen.map((item) => item.id).sort()).toEqual([...theirs.keys()].sort());
      const times = seen.map((item) => Date.parse(item.user_transaction_time));
      expect(times).toEqual([...times].sort((x, y) => y - x));
      for (const item of seen) {
        const record = theirs.get(item.id);
        expect(Number.isInteger(item.amount)).toBe(true);
        // Minor units of the currency it settled in (JPY has none), with that currency.
        expect({ amount: item.amount, currency: item.currency }).toEqual({ amount: minorUnitsOf(record.amount, record.currency_code), currency: record.currency_code });
        expect(item.original_transaction_amount).toEqual(record.original_transaction_amount);
      }
      for (const resource of ['reimbursements', 'bills', 'users', 'cards', 'departments']) {
        const res = await get(`/api/v1/ramp/${resource}`, a);
        expect(res.status, resource).toBe(200);
        expect(res.body.items.length, resource).toBe((await emulatorRecords(t.emulator, a.rampBusinessId, resource)).size);
      }
      const reimbursements = (await get('/api/v1/ramp/reimbursements', a)).body.items;
      for (const item of reimbursements) expect(Number.isInteger(item.amount)).toBe(true);
    });

    it('filters by state, dates, user and card; validates limit and cursor', async () => {
      const theirs = [...(await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions')).values()];
      const cleared = (await get('/api/v1/ramp/transactions?state=CLEARED&limit=1000', a)).body.items;
      expect(cleared.length).toBe(theirs.filter((r) => r.state === 'CLEARED').length);
      const sorted = theirs.map((r) => r.user_transaction_time).sort();
      const from = sorted[20];
      const to = sorted[60];
      const ranged = (await get(`/api/v1/ramp/transactions?from_date=${from}&to_date=${to}&limit=1000`, a)).body.items;
      expect(ranged.length).toBe(theirs.filter((r) => r.user_transaction_time >= from && r.user_transaction_time <= to).length);
      const day = from.slice(0, 10);
      const byDay = (await get(`/api/v1/ramp/transactions?from_date=${day}&to_date=${day}&limit=1000`, a)).body.items;
      expect(byDay.length).toBe(theirs.filter((r) => r.user_transaction_time.startsWith(day)).length);
      const someone = theirs[0].card_holder.user_id;
      const byUser = (await get(`/api/v1/ramp/transactions?user_id=${someone}&limit=1000`, a)).body.items;
      expect(byUser.length).toBe(theirs.filter((r) => r.card_holder.user_id === someone).length);
      const card = theirs[0].card_id;
      const byCard = (await get(`/api/v1/ramp/transactions?card_id=${card}&limit=1000`, a)).body.items;
      expect(byCard.length).toBe(theirs.filter((r) => r.card_id === card).length);
      expect((await get('/api/v1/ramp/transactions?limit=0', a)).status).toBe(422);
      expect((await get('/api/v1/ramp/transactions?limit=1001', a)).status).toBe(422);
      expect((await get('/api/v1/ramp/transactions?from_date=yesterday', a)).status).toBe(422);
      expect((await get('/api/v1/ramp/transactions?cursor=garbage', a)).status).toBe(400);
    });

    it('roles: any member reads; only owners and admins start syncs and mark objects synced', async () => {
      const viewer = await createTenant(t.db, 'viewer', { businessId: a.businessId });
      const member = await createTenant(t.db, 'member', { businessId: a.businessId });
      const admin = await createTenant(t.db, 'admin', { businessId: a.businessId });
      expect((await get('/api/v1/ramp/transactions', viewer)).status).toBe(200);
      for (const user of [viewer, member]) {
        expect((await request(`${t.url}/api/v1/ramp/sync`, { method: 'POST', headers: user.headers })).status).toBe(403);
        expect((await request(`${t.url}/api/v1/ramp/accounting/mark-synced`, { method: 'POST', headers: user.headers, json: { sync_type: 'TRANSACTION_SYNC', object_ids: ['x'] } })).status).toBe(403);
      }
      const res = await request(`${t.url}/api/v1/ramp/sync`, { method: 'POST', headers: admin.headers });
      expect(res.status).toBe(202);
      await waitForSync(t, admin, res.body.sync_id);
      expect((await get('/api/v1/ramp/transactions', { headers: { 'x-business-id': a.businessId } })).status).toBe(401);
    });

    it('mark-synced calls Ramp once with a deterministic idempotency key and answers 201', async () => {
      const ids = [...(await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions')).keys()].slice(0, 3);
      const post = (objectIds: string[]) =>
        request(`${t.url}/api/v1/ramp/accounting/mark-synced`, { method: 'POST', headers: a.headers, json: { sync_type: 'TRANSACTION_SYNC', object_ids: objectIds } });
      const first = await post(ids);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ sync_type: 'TRANSACTION_SYNC', successful: 3, failed: 0 });
      expect(first.body.batches).toHaveLength(1);
      const replay = await post([...ids].reverse());
      expect(replay.status).toBe(201);
      expect(replay.body.batches[0].sync_id).toBe(first.body.batches[0].sync_id);
      expect(replay.body.batches[0].idempotency_key).toBe(first.body.batches[0].idempotency_key);
      const synced = await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions');
      for (const id of ids) expect(synced.get(id).sync_status).toBe('SYNCED');
      const unknown = await post(['00000000-0000-4000-8000-000000000000']);
      expect(unknown.status).toBe(400);
      expect(unknown.body.code).toBe('invalid_request');
      const empty = await request(`${t.url}/api/v1/ramp/accounting/mark-synced`, { method: 'POST', headers: a.headers, json: { sync_type: 'TRANSACTION_SYNC', object_ids: [] } });
      expect(empty.status).toBe(422);
      const badType = await request(`${t.url}/api/v1/ramp/accounting/mark-synced`, { method: 'POST', headers: a.headers, json: { sync_type: 'ACCRUAL_SYNC', object_ids: ['x'] } });
      expect(badType.status).toBe(422);
      expect(badType.body.detail[0].loc).toEqual(['body', 'sync_type']);
    });

    it('webhooks: a signed Ramp event schedules an incremental sync of the connected business; bad, missing and stale signatures are refused', async () => {
      const url = `${t.url}/api/v1/ramp/webhooks`;
      const post = (body: string, signature?: string) =>
        request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(signature ? { 'x-ramp-webhook-signature': signature } : {}) }, body });
      const event = (businessId: string, createdAt = new Date().toISOString()) =>
        JSON.stringify({ id: 'evt_1', type: 'transactions.cleared', created_at: createdAt, business_id: businessId, object: { id: 'x' } });
      expect((await post(event(a.rampBusinessId))).status).toBe(401);
      expect((await post(event(a.rampBusinessId), 'ab'.repeat(32))).body).toEqual({ detail: 'Invalid webhook signature', code: 'invalid_webhook_signature' });
      expect((await post(event(a.rampBusinessId), 'nothex')).status).toBe(401);
      const stale = event(a.rampBusinessId, new Date(Date.now() - 4 * 24 * 3600_000).toISOString());
      expect((await post(stale, sign(stale))).body).toEqual({ detail: 'The webhook event is more than 3 days old (or dated more than 5 minutes ahead)', code: 'invalid_request' });
      const ahead = event(a.rampBusinessId, new Date(Date.now() + 10 * 60_000).toISOString());
      expect((await post(ahead, sign(ahead))).status).toBe(400);
      const unknown = event('00000000-0000-4000-8000-000000000000');
      expect((await post(unknown, sign(unknown))).body).toEqual({ status: 'accepted', scheduled: 0 });
      // U+0000 in the business id, correctly signed: a 400 on both dialects (a 500 on PostgreSQL before).
      const nul = event(`${a.rampBusinessId}\u0000`);
      expect((await post(nul, sign(nul))).body).toEqual({ detail: 'The webhook body is not a Ramp event', code: 'invalid_request' });

      // The emulator signs and delivers real events for a mutation.
      await control(t.emulator, 'POST', '/webhooks', { url, secret: SECRET, business_id: a.rampBusinessId });
      const before = await t.db.kysely.selectFrom('syncs').select('id').where('business_id', '=', a.businessId).where('trigger', '=', 'webhook').execute();
      const mutation = await control(t.emulator, 'POST', '/mutate', { business_id: a.rampBusinessId, resource: 'transactions', kind: 'amount', count: 3 });
      const deadline = Date.now() + 20_000;
      for (;;) {
        const syncs = await t.db.kysely.selectFrom('syncs').selectAll().where('business_id', '=', a.businessId).where('trigger', '=', 'webhook').execute();
        const ours = await storedRecords(t.db, a.businessId, 'transactions');
        const theirs = await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions');
        const updated = mutation.ids.every((id: string) => ours.get(id)?.amount === minorUnitsOf(theirs.get(id).amount, theirs.get(id).currency_code));
        if (syncs.length > before.length && syncs.every((s) => s.status === 'completed') && updated) break;
        if (Date.now() > deadline) throw new Error(`webhook sync did not happen: ${JSON.stringify(syncs)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });

    it('webhooks: a signed event Ramp retried for 30 minutes schedules one sync; the same event id again schedules none; a bad signature stays 401', async () => {
      const c = await connectedTenant(t, { transactions: 5, reimbursements: 1, bills: 1 });
      // The first sync links the business to its Ramp business, which the webhook names.
      expect((await waitForSync(t, c, (await startSync(t, c)).sync_id)).status).toBe('completed');
      const post = (body: string, signature: string) =>
        request(`${t.url}/api/v1/ramp/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-ramp-webhook-signature': signature }, body });
      const event = (id: string) =>
        JSON.stringify({ id, type: 'transactions.cleared', created_at: new Date(Date.now() - 30 * 60_000).toISOString(), business_id: c.rampBusinessId, object: { id: randomUUID() } });
      const webhookSyncs = () => t.db.kysely.selectFrom('syncs').selectAll().where('business_id', '=', c.businessId).where('trigger', '=', 'webhook').execute();
      const eventRows = (id: string) => t.db.kysely.selectFrom('ramp_webhook_events').selectAll().where('business_id', '=', c.businessId).where('event_id', '=', id).execute();
      const settled = async () => {
        await expect.poll(async () => (await webhookSyncs()).every((s) => s.status === 'completed'), { timeout: 30_000, interval: 50 }).toBe(true);
        return webhookSyncs();
      };

      const retried = event(randomUUID());
      const id = JSON.parse(retried).id as string;
      // A forged signature is refused and leaves no trace: the genuine event with the same id still counts.
      expect((await post(retried, 'ab'.repeat(32))).status).toBe(401);
      expect((await post(retried, 'ab'.repeat(32))).body).toEqual({ detail: 'Invalid webhook signature', code: 'invalid_webhook_signature' });
      expect(await eventRows(id)).toEqual([]);
      expect(await webhookSyncs()).toEqual([]);

      // 30 minutes old: within Ramp's retry schedule (refused as stale, 400, before, so Ramp dropped it).
      expect(await post(retried, sign(retried))).toMatchObject({ status: 202, body: { status: 'accepted', scheduled: 1 } });
      expect((await eventRows(id)).map((r) => ({ outcome: r.outcome, next_attempt_at: r.next_attempt_at }))).toEqual([{ outcome: 'sync_scheduled', next_attempt_at: null }]);
      expect(await webhookSyncs()).toHaveLength(1);

      // The same event again (Ramp's next retry, or a replay of the signed body): 202, so Ramp stops, and nothing scheduled.
      expect(await post(retried, sign(retried))).toMatchObject({ status: 202, body: { status: 'accepted', scheduled: 0 } });
      expect((await webhookSyncs()).map((s) => s.follow_up)).toEqual([0]);
      expect(await settled()).toHaveLength(1);
      expect(await post(retried, sign(retried))).toMatchObject({ status: 202, body: { status: 'accepted', scheduled: 0 } });
      expect(await settled()).toHaveLength(1);
      expect(await eventRows(id)).toHaveLength(1);

      // Another event is another sync.
      const next = event(randomUUID());
      expect(await post(next, sign(next))).toMatchObject({ status: 202, body: { status: 'accepted', scheduled: 1 } });
      expect(await settled()).toHaveLength(2);
    });

    it('automatic syncs: two replicas ticking at once queue exactly one, and the next is scheduled', async () => {
      await updateSyncConfig(t.db.kysely, b.businessId, { auto_sync_enabled: true, auto_sync_interval_hours: 6 }, Date.now());
      await t.db.kysely.updateTable('ramp_sync_configs').set({ next_auto_sync_at: Date.now() - 1000 }).where('business_id', '=', b.businessId).execute();
      const replica = new SyncService({ db: t.db, client: new RampClient(t.tokens), tokens: t.tokens, events: new RecordingEventSink(), log: createLogger('silent'), now: Date.now });
      await Promise.all([t.feature.syncs.tick(), replica.tick(), t.feature.syncs.tick(), replica.tick()]);
      const autos = await t.db.kysely.selectFrom('syncs').selectAll().where('business_id', '=', b.businessId).where('trigger', '=', 'auto').execute();
      expect(autos).toHaveLength(1);
      await waitForSync(t, b, autos[0]!.id);
      await replica.stop();
      const config = await t.db.kysely.selectFrom('ramp_sync_configs').select('next_auto_sync_at').where('business_id', '=', b.businessId).executeTakeFirstOrThrow();
      expect(Number(config.next_auto_sync_at)).toBeGreaterThan(Date.now() + 5.9 * 3_600_000);
    });

    it('honours sync-config filters: resource switches, card ids, dates', async () => {
      const c = await connectedTenant(t, { transactions: 80, reimbursements: 5, bills: 5 });
      const theirs = [...(await emulatorRecords(t.emulator, c.rampBusinessId, 'transactions')).values()];
      const cards = [...new Set(theirs.map((r) => r.card_id))].slice(0, 2);
      const from = theirs.map((r) => r.user_transaction_time).sort()[20]!;
      await updateSyncConfig(t.db.kysely, c.businessId, { sync_bills: false, sync_reimbursements: false, sync_card_ids: cards, sync_from_date: from }, Date.now());
      const done = await waitForSync(t, c, (await startSync(t, c)).sync_id);
      expect(done.status).toBe('completed');
      const expected = theirs.filter((r) => cards.includes(r.card_id) && r.user_transaction_time >= from).map((r) => r.id).sort();
      expect([...(await storedRecords(t.db, c.businessId, 'transactions')).keys()].sort()).toEqual(expected);
      expect((await storedRecords(t.db, c.businessId, 'bills')).size).toBe(0);
      expect((await storedRecords(t.db, c.businessId, 'reimbursements')).size).toBe(0);
      expect(Object.keys(done.progress.streams).filter((key) => key.startsWith('transactions card_id='))).toHaveLength(2);
    });

    it('a date window selects reimbursements on transaction_date (Ramp\'s from_transaction_date), the date the read API filters them on; also when incremental', async () => {
      const c = await connectedTenant(t, { transactions: 10, reimbursements: 40, bills: 1 });
      const ms = (value: string) => Date.parse(value);
      const window = (list: any[], field: string, from: string, to: string) =>
        list.filter((r) => ms(r[field]) >= ms(from) && ms(r[field]) <= ms(to)).map((r) => r.id).sort();
      const theirs = [...(await emulatorRecords(t.emulator, c.rampBusinessId, 'reimbursements')).values()];
      const dates = theirs.map((r) => r.transaction_date).sort();
      const from = `${dates[10]}T00:00:00Z`;
      const to = `${dates[30]}T00:00:00Z`;
      // Ramp's from_date/to_date would select on created_at, days after the transaction: another set.
      expect(window(theirs, 'created_at', from, to)).not.toEqual(window(theirs, 'transaction_date', from, to));
      await updateSyncConfig(t.db.kysely, c.businessId, { sync_bills: false, sync_from_date: from, sync_to_date: to }, Date.now());
      const first = await waitForSync(t, c, (await startSync(t, c)).sync_id);
      expect(first.status).toBe('completed');
      const expected = window(theirs, 'transaction_date', from, to);
      expect([...(await storedRecords(t.db, c.businessId, 'reimbursements')).keys()].sort()).toEqual(expected);
      const read = await get(`/api/v1/ramp/reimbursements?limit=1000&from_date=${encodeURIComponent(from)}&to_date=${encodeURIComponent(to)}`, c);
      expect(read.body.items.map((r: any) => r.id).sort()).toEqual(expected);
      // Incremental (updated_after) with the same window: changed ones are read again, new ones (dated now) stay out.
      await control(t.emulator, 'POST', '/mutate', { business_id: c.rampBusinessId, resource: 'reimbursements', kind: 'amount', count: 20 });
      await control(t.emulator, 'POST', '/mutate', { business_id: c.rampBusinessId, resource: 'reimbursements', kind: 'create', count: 3 });
      const second = await waitForSync(t, c, (await startSync(t, c)).sync_id);
      expect(second.status).toBe('completed');
      const after = await emulatorRecords(t.emulator, c.rampBusinessId, 'reimbursements');
      const stored = await storedRecords(t.db, c.businessId, 'reimbursements');
      expect([...stored.keys()].sort()).toEqual(window([...after.values()], 'transaction_date', from, to));
      expect(second.progress.resources.reimbursements.records).toBeLessThan(expected.length);
      for (const [id, record] of stored) expect(record.amount, id).toBe(minorUnitsOf(after.get(id).amount, after.get(id).currency));
    });

    it('receipts and memos follow the transactions the config keeps (card ids and dates; reimbursements off)', async () => {
      const c = await connectedTenant(t, { transactions: 80, reimbursements: 20, bills: 1 });
      const transactions = [...(await emulatorRecords(t.emulator, c.rampBusinessId, 'transactions')).values()];
      const receipts = [...(await emulatorRecords(t.emulator, c.rampBusinessId, 'receipts')).values()];
      const memos = [...(await emulatorRecords(t.emulator, c.rampBusinessId, 'memos')).values()];
      const from = transactions.map((r) => r.user_transaction_time).sort()[20]!;
      // The cards are chosen where a kept transaction has a receipt and a memo, so the expected sets are
      // never empty whatever the emulator drew (a filter that keeps nothing would not pass).
      const memoIds = new Set(memos.map((m) => m.id));
      const documented = new Set(receipts.filter((r) => r.transaction_id && memoIds.has(r.transaction_id)).map((r) => r.transaction_id));
      const cards = [...new Set(transactions.filter((r) => r.user_transaction_time >= from && documented.has(r.id)).map((r) => r.card_id))].slice(0, 2);
      await updateSyncConfig(t.db.kysely, c.businessId, { sync_bills: false, sync_reimbursements: false, sync_card_ids: cards, sync_from_date: from }, Date.now());
      const done = await waitForSync(t, c, (await startSync(t, c)).sync_id);
      expect(done.status).toBe('completed');
      const kept = new Set(transactions.filter((r) => cards.includes(r.card_id) && r.user_transaction_time >= from).map((r) => r.id));
      expect([...(await storedRecords(t.db, c.businessId, 'transactions')).keys()].sort()).toEqual([...kept].sort());
      // Receipts of other transactions and every reimbursement's receipt (20 reimbursements: some have one) are left out.
      const expectedReceipts = receipts.filter((r) => r.transaction_id && kept.has(r.transaction_id)).map((r) => r.id).sort();
      expect(expectedReceipts.length).toBeGreaterThan(0);
      expect(receipts.some((r) => !r.transaction_id)).toBe(true);
      expect([...(await storedRecords(t.db, c.businessId, 'receipts')).keys()].sort()).toEqual(expectedReceipts);
      const expectedMemos = memos.filter((m) => kept.has(m.id)).map((m) => m.id).sort();
      expect(expectedMemos.length).toBeGreaterThan(0);
      expect(expectedMemos.length).toBeLessThan(memos.length);
      expect([...(await storedRecords(t.db, c.businessId, 'memos')).keys()].sort()).toEqual(expectedMemos);
      // Left out is not deleted: the progress counts only what was stored, and nothing is marked deleted.
      expect(done.progress.resources.receipts.records).toBe(expectedReceipts.length);
      const deleted = await t.db.kysely.selectFrom('ramp_records').select('id').where('business_id', '=', c.businessId).where('deleted_at', 'is not', null).execute();
      expect(deleted).toEqual([]);
    });

    it("a reimbursement's receipt follows the reimbursements' user filter", async () => {
      const c = await connectedTenant(t, { transactions: 60, reimbursements: 20, bills: 1 });
      const transactions = [...(await emulatorRecords(t.emulator, c.rampBusinessId, 'transactions')).values()];
      const receipts = [...(await emulatorRecords(t.emulator, c.rampBusinessId, 'receipts')).values()];
      const user = receipts.find((r) => !r.transaction_id)!.user_id as string;
      await updateSyncConfig(t.db.kysely, c.businessId, { sync_bills: false, sync_reimbursements: true, sync_user_ids: [user] }, Date.now());
      expect((await waitForSync(t, c, (await startSync(t, c)).sync_id)).status).toBe('completed');
      const kept = new Set(transactions.filter((r) => r.card_holder?.user_id === user).map((r) => r.id));
      const expected = receipts.filter((r) => (r.transaction_id ? kept.has(r.transaction_id) : r.user_id === user)).map((r) => r.id).sort();
      // Chosen so: one of the user's reimbursement receipts is kept; another user's is left out (20 reimbursements, 12 users).
      expect(receipts.some((r) => !r.transaction_id && r.user_id !== user)).toBe(true);
      expect([...(await storedRecords(t.db, c.businessId, 'receipts')).keys()].sort()).toEqual(expected);
    });

    it('a date alone filters receipts and memos too; with no user filter every reimbursement receipt is kept', async () => {
      const c = await connectedTenant(t, { transactions: 80, reimbursements: 20, bills: 1 });
      const transactions = [...(await emulatorRecords(t.emulator, c.rampBusinessId, 'transactions')).values()];
      const receipts = [...(await emulatorRecords(t.emulator, c.rampBusinessId, 'receipts')).values()];
      const to = transactions.map((r) => r.user_transaction_time).sort()[40]!;
      await updateSyncConfig(t.db.kysely, c.businessId, { sync_bills: false, sync_reimbursements: true, sync_to_date: to }, Date.now());
      expect((await waitForSync(t, c, (await startSync(t, c)).sync_id)).status).toBe('completed');
      const kept = new Set([...(await storedRecords(t.db, c.businessId, 'transactions')).keys()]);
      const expected = receipts.filter((r) => (r.transaction_id ? kept.has(r.transaction_id) : true)).map((r) => r.id).sort();
      // ~40 transactions after the date, each with a receipt at p ≈ 0.4: some are left out.
      expect(expected.length).toBeLessThan(receipts.length);
      expect([...(await storedRecords(t.db, c.businessId, 'receipts')).keys()].sort()).toEqual(expected);
    });

    it('with no filter every receipt and memo Ramp lists is stored, whatever sync_reimbursements says', async () => {
      const c = await connectedTenant(t, { transactions: 40, reimbursements: 20, bills: 1 });
      await updateSyncConfig(t.db.kysely, c.businessId, { sync_bills: false, sync_reimbursements: false }, Date.now());
      expect((await waitForSync(t, c, (await startSync(t, c)).sync_id)).status).toBe('completed');
      for (const resource of ['receipts', 'memos']) {
        const theirs = [...(await emulatorRecords(t.emulator, c.rampBusinessId, resource)).keys()].sort();
        expect([...(await storedRecords(t.db, c.businessId, resource)).keys()].sort()).toEqual(theirs);
      }
    });

    it('events and the status summary', async () => {
      const completed = t.events.events.filter((e) => e.businessId === a.businessId && e.type === 'sync.completed');
      expect(completed.length).toBeGreaterThan(0);
      expect(completed[0]!.data).toMatchObject({ trigger: 'manual', records: expect.any(Number) });
      const summary = await t.feature.summary(a.businessId);
      expect(summary.transaction_count).toBe((await storedRecords(t.db, a.businessId, 'transactions')).size);
      expect(Date.parse(summary.last_sync_at!)).toBeGreaterThanOrEqual(FILE_STARTED_AT);
      expect(Date.parse(summary.last_sync_at!)).toBeLessThanOrEqual(Date.now());
      // Without a connection a sync is refused at once: nothing queued, so nothing failed to show.
      const lonely = await createTenant(t.db, 'owner');
      expect(await t.feature.summary(lonely.businessId)).toEqual({ transaction_count: 0, last_sync_at: null, last_sync: null });
      const refused = await request(`${t.url}/api/v1/ramp/sync`, { method: 'POST', headers: lonely.headers });
      expect(refused.status, refused.text).toBe(404);
      expect(refused.body).toEqual({ detail: 'This business has no Ramp connection', code: 'ramp_not_connected' });
      expect(await t.db.kysely.selectFrom('syncs').select('id').where('business_id', '=', lonely.businessId).execute()).toEqual([]);
      expect(await t.feature.summary(lonely.businessId)).toEqual({ transaction_count: 0, last_sync_at: null, last_sync: null });
      // A failed sync: connected, but Ramp refuses the app's credentials by the time the sync asks for a token.
      const rejected = await connectedTenant(t, { transactions: 5 });
      await control(t.emulator, 'POST', `/apps/${rejected.clientId}/rotate-secret`, {});
      const failed = await waitForSync(t, rejected, (await startSync(t, rejected)).sync_id);
      expect(failed).toMatchObject({ status: 'failed', error: expect.stringContaining('reauthorization_required') });
      // The event is emitted just after the status is written (src/sync/sync-runner.ts, run): wait for it.
      await expect.poll(() => t.events.events.some((e) => e.businessId === rejected.businessId && e.type === 'sync.failed')).toBe(true);
      // The status's last sync is the failed one, and a failed sync is not when data was last synced.
      expect(await t.feature.summary(rejected.businessId)).toEqual({ transaction_count: 0, last_sync_at: null, last_sync: { id: failed.id, status: 'failed', finished_at: failed.finished_at, skipped: [], error: failed.error } });
    });
  });
}
