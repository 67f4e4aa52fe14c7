/**
 * @module The transactional outbox: `emit` durably writes the event and one pending delivery per
 * matching active endpoint of the business in ONE transaction, so an event that was acknowledged is
 * never lost on restart (delivery is at-least-once; receivers de-duplicate on the event id).
 * `emitIn(trx, …)` writes inside a caller's transaction, so the event commits (or rolls back) with
 * the change it describes.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { EventSink, EventType } from './event-sink.ts';
import type { WebhookDeliveriesTable } from './events-schema.ts';
import { endpointWants } from './webhook-endpoint-store.ts';

export interface EmittedEvent {
  readonly id: string;
  /** Deliveries queued (one per matching active endpoint). */
  readonly deliveries: number;
}

// Event data goes to customer URLs and into the event log; a secret in it would leak both ways.
// Callers should never pass one; this catches the obvious mistakes at the boundary.
const SECRET_KEYS = new Set(['access_token', 'refresh_token', 'client_secret', 'secret', 'password', 'code_verifier', 'authorization', 'token', 'api_token']);

function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.has(k.toLowerCase()) ? '[REDACTED]' : redactSecrets(v)]));
}

export class OutboxEventSink implements EventSink {
  readonly #db: Db;
  readonly #now: () => number;
  readonly #onEmitted: (() => void) | undefined;

  /** `onEmitted` runs after a committed `emit` (the feature wakes its worker with it). */
  constructor(db: Db, now: () => number, onEmitted?: () => void) {
    this.#db = db;
    this.#now = now;
    this.#onEmitted = onEmitted;
  }

  async emit(businessId: string, type: EventType, data: Record<string, unknown>): Promise<void> {
    await this.#db.kysely.transaction().execute((trx) => this.#write(trx, businessId, type, data));
    this.#onEmitted?.();
  }

  /**
   * Writes the event and its deliveries inside the caller's transaction `trx`, so they commit or roll
   * back with the caller's change. Given a plain handle, it opens its own transaction. The worker is
   * not woken (nothing is visible before the caller commits); it finds the rows on its next poll.
   */
  async emitIn(trx: Kysely<Database>, businessId: string, type: EventType, data: Record<string, unknown>): Promise<EmittedEvent> {
    if (!trx.isTransaction) return trx.transaction().execute((inner) => this.#write(inner, businessId, type, data));
    return this.#write(trx, businessId, type, data);
  }

  async #write(db: Kysely<Database>, businessId: string, type: EventType, data: Record<string, unknown>): Promise<EmittedEvent> {
    const now = this.#now();
    const id = randomUUID();
    await db
      .insertInto('events')
      .values({ id, business_id: businessId, type, data: JSON.stringify(redactSecrets(data) ?? {}), created_at: now })
      .execute();
    const endpoints = await db
      .selectFrom('webhook_endpoints')
      .select(['id', 'event_types'])
      .where('business_id', '=', businessId)
      .where('active', '=', 1)
      .execute();
    const deliveries: WebhookDeliveriesTable[] = endpoints
      .filter((endpoint) => endpointWants(endpoint.event_types, type))
      .map((endpoint) => ({
        id: randomUUID(),
        event_id: id,
        endpoint_id: endpoint.id,
        business_id: businessId,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        lease_owner: null,
        lease_until: null,
        last_status_code: null,
        last_error: null,
        delivered_at: null,
        created_at: now,
      }));
    if (deliveries.length > 0) await db.insertInto('webhook_deliveries').values(deliveries).execute();
    return { id, deliveries: deliveries.length };
  }
}
