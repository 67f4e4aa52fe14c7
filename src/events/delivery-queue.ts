/**
 * @module The delivery rows as a work queue shared by every replica.
 *
 * Claim is one statement: `WITH due AS MATERIALIZED (SELECT id … WHERE status='pending' AND
 * next_attempt_at <= now AND (lease_until IS NULL OR lease_until < now) ORDER BY next_attempt_at LIMIT n
 * [FOR UPDATE SKIP LOCKED]) UPDATE webhook_deliveries SET lease_owner, lease_until WHERE id IN (SELECT id
 * FROM due) AND <same conditions> RETURNING id`.
 * On PostgreSQL, SKIP LOCKED lets concurrent claimers take disjoint rows without waiting, and the
 * repeated conditions on the outer UPDATE make a row another claimer committed meanwhile drop out;
 * SQLite has a single writer, so the statement is atomic there anyway.
 *
 * The lease is a crash guard: a replica that dies mid-delivery leaves the row pending, and once the
 * lease expires another replica retries it. Every write after the claim is fenced on `lease_owner`
 * (unique per claim), so a worker whose lease was taken over changes nothing.
 */
import type { Kysely } from 'kysely';
import { claimDue } from '../core/claim-due.ts';
import type { Dialect } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { WebhookDeliveriesTable } from './events-schema.ts';

export interface ClaimedDelivery {
  readonly id: string;
  readonly leaseOwner: string;
  readonly attempts: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly eventData: string;
  readonly eventCreatedAt: number;
  readonly businessId: string;
  readonly endpointId: string;
  readonly url: string;
  readonly endpointActive: boolean;
  readonly dataKey: Uint8Array;
  readonly secret: Uint8Array | null;
}

export interface ClaimOptions {
  readonly leaseOwner: string;
  readonly now: number;
  readonly leaseMs: number;
  readonly limit: number;
}

/** The claim statement alone (tests assert its SQL on both dialects). */
export function claimStatement(db: Kysely<Database>, dialect: Dialect, options: ClaimOptions) {
  const { now, limit, leaseOwner } = options;
  return claimDue(db, dialect, {
    table: 'webhook_deliveries',
    key: 'id',
    due: (q) => q.where('status', '=', 'pending').where('next_attempt_at', '<=', now).where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)])).orderBy('next_attempt_at').limit(limit),
    set: { lease_owner: leaseOwner, lease_until: now + options.leaseMs },
    recheck: (q) => q.where('status', '=', 'pending').where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)])),
  }).returning('id');
}

/** Leases up to `limit` due deliveries to `leaseOwner` and returns them with their event and endpoint. */
export async function claimDueDeliveries(db: Kysely<Database>, dialect: Dialect, options: ClaimOptions): Promise<ClaimedDelivery[]> {
  const { limit, leaseOwner } = options;
  if (limit <= 0) return [];
  const claimed = await claimStatement(db, dialect, options).execute();
  if (claimed.length === 0) return [];
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
    .select([
      'd.id',
      'd.attempts',
      'd.business_id',
      'd.endpoint_id',
      'e.id as event_id',
      'e.type as event_type',
      'e.data as event_data',
      'e.created_at as event_created_at',
      'w.url',
      'w.active',
      'w.data_key',
      'w.secret',
    ])
    .where(
      'd.id',
      'in',
      claimed.map((r) => r.id),
    )
    .where('d.lease_owner', '=', leaseOwner)
    .orderBy('d.next_attempt_at')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    leaseOwner,
    attempts: Number(r.attempts),
    eventId: r.event_id,
    eventType: r.event_type,
    eventData: r.event_data,
    eventCreatedAt: Number(r.event_created_at),
    businessId: r.business_id,
    endpointId: r.endpoint_id,
    url: r.url,
    endpointActive: Number(r.active) === 1,
    dataKey: r.data_key,
    secret: r.secret,
  }));
}

/** Applies `set` to a claimed delivery if this claim still holds it; false when fenced out. */
export async function settleDelivery(db: Kysely<Database>, delivery: Pick<ClaimedDelivery, 'id' | 'leaseOwner'>, set: Partial<WebhookDeliveriesTable>): Promise<boolean> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ ...set, lease_owner: null, lease_until: null })
    .where('id', '=', delivery.id)
    .where('lease_owner', '=', delivery.leaseOwner)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Pending deliveries not yet settled (due or not); `drain()` waits for this to reach zero. */
export async function countPending(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
