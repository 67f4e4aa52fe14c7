/**
 * Claims and leases of the `syncs` table on both dialects: one claimer wins, an expired lease is
 * taken over, a process that lost its lease can no longer write (fencing), the claim's SQL, and the
 * pure planning of streams and segments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SYNC_CONFIG } from '../../src/connections/sync-config.ts';
import type { Db } from '../../src/db/database.ts';
import { commitPage, hashData, LeaseLostError } from '../../src/sync/page-commit.ts';
import { planSegments, segmentConcurrency } from '../../src/sync/segments.ts';
import { SEGMENT_CONCURRENCY } from '../../src/sync/page-pipeline.ts';
import { planSync } from '../../src/sync/sync-plan.ts';
import { emptyProgress } from '../../src/sync/sync-progress.ts';
import { claimSync, claimSyncQuery, requestSync } from '../../src/sync/syncs-repo.ts';
import { MAX_EVENT_AGE_MS, MAX_EVENT_SKEW_MS, verifyWebhook } from '../../src/sync/webhook-verification.ts';
import { EVENT_RETENTION_MS } from '../../src/ramp-webhooks/event-processor.ts';
import { createHmac } from 'node:crypto';
import { createTenant } from '../helpers/tenants.ts';
import { DIALECTS, openTestDb } from '../helpers/test-db.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: sync leases`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ db, cleanup } = await openTestDb(dialect));
    });
    afterAll(async () => cleanup?.());

    it('ten concurrent claimers: exactly one gets the queued sync; an expired lease is taken over', async () => {
      const tenant = await createTenant(db);
      const { sync } = await requestSync(db.kysely, tenant.businessId, 'manual', 1_000);
      expect((await requestSync(db.kysely, tenant.businessId, 'auto', 1_001)).sync.id).toBe(sync.id);
      const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => claimSync(db.kysely, db.dialect, { owner: `p${i}`, now: 2_000, leaseMs: 1_000, businessId: tenant.businessId })));
      const winners = claims.filter((c) => c !== undefined);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ id: sync.id, status: 'running', lease_until: 3_000, started_at: 2_000 });
      expect(await claimSync(db.kysely, db.dialect, { owner: 'late', now: 2_500, leaseMs: 1_000, businessId: tenant.businessId })).toBeUndefined();
      const takeover = await claimSync(db.kysely, db.dialect, { owner: 'rescuer', now: 3_001, leaseMs: 1_000, businessId: tenant.businessId });
      expect(takeover).toMatchObject({ id: sync.id, lease_owner: 'rescuer', started_at: 2_000 });

      // The first owner lost its lease: its page commit rolls back and stores nothing.
      const page = {
        businessId: tenant.businessId, syncId: sync.id, leaseUntil: 9_000, resource: 'transactions' as const, streamKey: 'transactions',
        records: [{ id: 't1', data: '{"id":"t1"}', hash: hashData('{"id":"t1"}'), columns: { amount_cents: 1, currency: 'USD', occurred_at: 1, state: 'PENDING', user_id: null, card_id: null, department_id: null, link_id: null, sync_status: null } }],
        cursor: { v: 1 as const, fingerprint: 'f', completedRunStartedAt: null, run: null }, progress: () => emptyProgress(), now: 3_100,
      };
      await expect(commitPage(db.kysely, db.dialect, { ...page, owner: winners[0]!.lease_owner! })).rejects.toBeInstanceOf(LeaseLostError);
      expect(await db.kysely.selectFrom('ramp_records').select('id').where('business_id', '=', tenant.businessId).execute()).toEqual([]);
      expect(await db.kysely.selectFrom('sync_cursors').select('resource').where('business_id', '=', tenant.businessId).execute()).toEqual([]);
      await commitPage(db.kysely, db.dialect, { ...page, owner: 'rescuer' });
      expect(await db.kysely.selectFrom('ramp_records').select('id').where('business_id', '=', tenant.businessId).execute()).toEqual([{ id: 't1' }]);
    });

    it('the claim is one UPDATE … RETURNING over a materialized CTE, with FOR UPDATE SKIP LOCKED on PostgreSQL only', () => {
      const compiled = claimSyncQuery(db.kysely, db.dialect, { owner: 'o', now: 1, leaseMs: 1 }).compile().sql;
      expect(compiled).toMatch(/^with "candidate" as materialized \(select "id" from "syncs" where .* limit .*\) update "syncs" set .* where "id" in \(select "candidate"."id" from "candidate"\) and .* returning \*$/);
      expect(compiled.includes('for update skip locked')).toBe(dialect === 'postgres');
    });
  });
}

describe('sync planning', () => {
  it('plans reference data always, incremental transactions and reimbursements, and one stream per id of the smallest filter', () => {
    const plain = planSync({ ...DEFAULT_SYNC_CONFIG });
    expect(plain.streams.map((s) => `${s.key}:${s.mode}`)).toEqual([
      'business:full', 'entities:full', 'departments:full', 'locations:full', 'users:full', 'spend-programs:full', 'limits:full',
      'limits is_terminated=true:full', 'cards:full', 'cards is_terminated=true:full', 'merchants:full', 'vendors:full',
      'transactions:incremental', 'transactions synced_after:incremental', 'reimbursements:incremental', 'reimbursements synced_after:incremental',
      'bills:full', 'receipts:full', 'memos:full',
    ]);
    // What was synced to the books since the last run is read with Ramp's synced_after (the ready feed's exits).
    expect(plain.streams.filter((s) => s.incrementalFilter === 'synced_after').map((s) => s.key)).toEqual(['transactions synced_after', 'reimbursements synced_after']);
    const everything = planSync({ ...DEFAULT_SYNC_CONFIG, sync_transfers: true, sync_cashbacks: true, sync_bill_payments: true, sync_statements: true });
    expect(everything.streams.filter((s) => s.mode === 'full' && ['bill-payments', 'transfers', 'cashbacks', 'statements'].includes(s.resource)).map((s) => s.key)).toEqual([
      'bill-payments', 'transfers', 'cashbacks', 'statements',
    ]);
    expect(everything.unsupported).toEqual([]);
    expect(plain.streams.find((s) => s.resource === 'transactions')!.params).toEqual({ state: 'ALL' });
    const filtered = planSync({ ...DEFAULT_SYNC_CONFIG, sync_bills: false, sync_card_ids: ['c1', 'c2', 'c3'], sync_user_ids: ['u1'], sync_transfers: true });
    const tx = filtered.streams.filter((s) => s.resource === 'transactions');
    expect(tx.map((s) => s.key)).toEqual(['transactions user_id=u1', 'transactions synced_after']);
    // The synced_after read applies every id filter locally.
    const syncedKeep = tx[1]!.keep!;
    const keep = tx[0]!.keep!;
    const columns = { amount_cents: 1, currency: 'USD', occurred_at: 1, state: 'CLEARED', user_id: 'u1', department_id: null, link_id: null, sync_status: null };
    expect(keep({ ...columns, card_id: 'c2' })).toBe(true);
    expect(keep({ ...columns, card_id: 'c9' })).toBe(false);
    expect(syncedKeep({ ...columns, card_id: 'c2' })).toBe(true);
    expect(syncedKeep({ ...columns, card_id: 'c2', user_id: 'u2' })).toBe(false);
    expect(filtered.streams.some((s) => s.resource === 'bills')).toBe(false);
    expect(filtered.streams.some((s) => s.resource === 'transfers')).toBe(true);
    expect(planSync({ ...DEFAULT_SYNC_CONFIG, sync_user_ids: ['u1'] }).streams.find((s) => s.resource === 'transactions')!.fingerprint).not.toBe(
      plain.streams.find((s) => s.resource === 'transactions')!.fingerprint,
    );
  });

  it('the date window goes in each list\'s filter on the record\'s own time: from_date on transactions, from_transaction_date on reimbursements', () => {
    const window = { sync_from_date: '2026-10-01T00:00:00Z', sync_to_date: '2026-11-20T00:00:00Z' };
    const streams = planSync({ ...DEFAULT_SYNC_CONFIG, ...window }).streams;
    for (const stream of streams.filter((s) => s.resource === 'transactions')) {
      expect(stream.params, stream.key).toEqual({ state: 'ALL', from_date: window.sync_from_date, to_date: window.sync_to_date });
    }
    const reimbursements = streams.filter((s) => s.resource === 'reimbursements');
    expect(reimbursements.map((s) => s.key)).toEqual(['reimbursements', 'reimbursements synced_after']);
    for (const stream of reimbursements) {
      expect(stream.params, stream.key).toEqual({ from_transaction_date: window.sync_from_date, to_transaction_date: window.sync_to_date });
    }
    // Bills: the window is checked locally (resource-descriptors.ts).
    const bills = streams.find((s) => s.resource === 'bills')!;
    expect(bills.params).toEqual({});
    expect(bills.keep).not.toBeNull();
  });

  it('segments of a first full read cover every time with no gap; incremental reads are one segment', () => {
    const stream = planSync({ ...DEFAULT_SYNC_CONFIG }).streams.find((s) => s.resource === 'transactions')!;
    const started = Date.parse('2026-11-26T10:00:00.500Z');
    const segments = planSegments(stream, started, null);
    expect(segments.length).toBeGreaterThan(5);
    expect(segments[0]!.to).toBeNull();
    expect(segments.at(-1)!.from).toBeNull();
    for (let i = 1; i < segments.length; i++) expect(segments[i]!.to).toBe(segments[i - 1]!.from);
    expect(planSegments(stream, started, '2026-11-01T00:00:00Z')).toEqual([{ from: null, to: null, next: null, done: false }]);
    const bounded = planSync({ ...DEFAULT_SYNC_CONFIG, sync_from_date: '2026-10-01T00:00:00Z', sync_to_date: '2026-11-20T00:00:00Z' }).streams.find((s) => s.resource === 'transactions')!;
    const inside = planSegments(bounded, started, null);
    expect(inside[0]!.to).toBe('2026-11-20T00:00:00.000Z');
    expect(inside.at(-1)!.from).toBe('2026-10-01T00:00:00.000Z');
  });

  it('statements are read in windows on end_date narrower than a monthly cycle, one window at a time', () => {
    const plan = planSync({ ...DEFAULT_SYNC_CONFIG, sync_statements: true });
    const stream = plan.streams.find((s) => s.resource === 'statements')!;
    const started = Date.parse('2026-11-26T10:00:00.500Z');
    const segments = planSegments(stream, started, null);
    expect(segments[0]!.to).toBeNull();
    expect(segments.at(-1)!.from).toBeNull();
    for (let i = 1; i < segments.length; i++) expect(segments[i]!.to).toBe(segments[i - 1]!.from);
    // Every bounded window is shorter than the shortest month, and they reach back two years.
    for (const segment of segments.slice(1, -1)) expect(Date.parse(segment.to!) - Date.parse(segment.from!)).toBeLessThan(28 * 86_400_000);
    expect(started - Date.parse(segments.at(-1)!.to!)).toBeGreaterThan(700 * 86_400_000);
    expect(segmentConcurrency(stream)).toBe(1);
    expect(segmentConcurrency(plan.streams.find((s) => s.resource === 'transactions')!)).toBe(SEGMENT_CONCURRENCY);
    expect(planSegments(plan.streams.find((s) => s.resource === 'bills')!, started, null)).toHaveLength(1);
  });
});

describe('webhook verification', () => {
  const secret = 'whsec_x';
  const body = JSON.stringify({ id: 'e', type: 'transactions.cleared', created_at: '2026-11-26T10:00:00Z', business_id: 'b', object: { id: 'o' } });
  const now = Date.parse('2026-11-26T10:01:00Z');
  const good = createHmac('sha256', secret).update(body).digest('hex');

  it('accepts the hex HMAC-SHA256 of the raw body (any hex case) and refuses anything else', () => {
    expect(verifyWebhook(body, good, secret, now)).toMatchObject({ ok: true, event: { business_id: 'b' } });
    expect(verifyWebhook(body, good.toUpperCase(), secret, now).ok).toBe(true);
    for (const bad of [undefined, '', 'abc', good.slice(0, 63), `${good}0`, good.replace(/.$/, good.endsWith('0') ? '1' : '0'), `sha256=${good}`]) {
      expect(verifyWebhook(body, bad, secret, now), String(bad)).toEqual({ ok: false, reason: 'bad_signature' });
    }
    expect(verifyWebhook(`${body} `, good, secret, now).ok).toBe(false);
    expect(verifyWebhook(body, good, undefined, now).ok).toBe(false);
    expect(verifyWebhook(body, good, secret, now - 7 * 60_000)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhook(body, good, secret, now - 5 * 60_000).ok).toBe(true);
    // Ramp's retries carry the original created_at for hours: a day-old event is still taken.
    expect(verifyWebhook(body, good, secret, now + 24 * 3600_000).ok).toBe(true);
    expect(verifyWebhook(body, good, secret, now + 4 * 24 * 3600_000)).toEqual({ ok: false, reason: 'stale' });
    // Every event accepted is still in the record of event ids when it comes again, so a replay is recognised.
    expect(MAX_EVENT_AGE_MS + MAX_EVENT_SKEW_MS).toBeLessThan(EVENT_RETENTION_MS);
    const junk = 'not json';
    expect(verifyWebhook(junk, createHmac('sha256', secret).update(junk).digest('hex'), secret, now)).toEqual({ ok: false, reason: 'malformed' });
  });
});
