/**
 * @module Read side of the outbox for the API: a business's recent events and an endpoint's delivery
 * log, newest first, keyset-paginated on (created_at, id). Every query is business-scoped.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Cursor } from '../core/pagination.ts';
import type { EventType } from './event-sink.ts';
import type { DeliveryStatus } from './events-schema.ts';

export interface EventRecord {
  readonly id: string;
  readonly type: EventType;
  readonly businessId: string;
  readonly data: Record<string, unknown>;
  readonly createdAt: number;
}

export interface DeliveryRecord {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: EventType;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  /** null once settled (delivered or dead). */
  readonly nextAttemptAt: number | null;
  readonly deliveredAt: number | null;
  readonly createdAt: number;
}

export interface PageRequest {
  /** Rows returned are `limit + 1` at most, so the caller can tell whether more exist. */
  readonly limit: number;
  readonly cursor: Cursor | undefined;
}

export async function listEvents(db: Kysely<Database>, businessId: string, page: PageRequest, type?: EventType): Promise<EventRecord[]> {
  const { cursor } = page;
  const rows = await db
    .selectFrom('events')
    .select(['id', 'type', 'business_id', 'data', 'created_at'])
    .where('business_id', '=', businessId)
    .$if(type !== undefined, (q) => q.where('type', '=', type!))
    .$if(cursor !== undefined, (q) =>
      q.where((eb) => eb.or([eb('created_at', '<', Number(cursor!.key)), eb.and([eb('created_at', '=', Number(cursor!.key)), eb('id', '<', cursor!.id)])])),
    )
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
  return rows.map((r) => ({ id: r.id, type: r.type, businessId: r.business_id, data: JSON.parse(r.data) as Record<string, unknown>, createdAt: Number(r.created_at) }));
}

export async function listDeliveries(db: Kysely<Database>, businessId: string, endpointId: string, page: PageRequest): Promise<DeliveryRecord[]> {
  const { cursor } = page;
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select(['d.id', 'd.event_id', 'e.type', 'd.status', 'd.attempts', 'd.last_status_code', 'd.last_error', 'd.next_attempt_at', 'd.delivered_at', 'd.created_at'])
    .where('d.business_id', '=', businessId)
    .where('d.endpoint_id', '=', endpointId)
    .$if(cursor !== undefined, (q) =>
      q.where((eb) => eb.or([eb('d.created_at', '<', Number(cursor!.key)), eb.and([eb('d.created_at', '=', Number(cursor!.key)), eb('d.id', '<', cursor!.id)])])),
    )
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    eventType: r.type,
    status: r.status,
    attempts: Number(r.attempts),
    lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
    lastError: r.last_error,
    nextAttemptAt: r.status === 'pending' ? Number(r.next_attempt_at) : null,
    deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
    createdAt: Number(r.created_at),
  }));
}
