/**
 * @module Webhook endpoints at rest: one row per endpoint, its signing secret sealed by the vault under
 * a per-row data key (AAD scope `{environment: 'webhook', businessId, rowId: id}`). Every query is
 * business-scoped, so another tenant's id simply is not found. Deleting keeps the row (the delivery log
 * joins it) but drops the secret and stops every pending delivery.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { Cursor } from '../core/pagination.ts';
import type { Vault } from '../vault/vault.ts';
import type { EventType } from './event-sink.ts';
import type { WebhookEndpointsTable } from './events-schema.ts';
import { newWebhookSecret } from './signature.ts';
import { SECRET_FIELD, endpointScope } from '../vault/encrypted-tables.ts';

/** A business may fan each event out to at most this many endpoints (bounds the worker's load per tenant). */
export const MAX_ENDPOINTS_PER_BUSINESS = 20;

export interface WebhookEndpoint {
  readonly id: string;
  readonly businessId: string;
  readonly url: string;
  /** null = every event type. */
  readonly eventTypes: readonly EventType[] | null;
  readonly active: boolean;
  readonly createdAt: number;
}

export type CreateEndpointResult = { readonly created: WebhookEndpoint; readonly secret: string } | { readonly limitReached: true };

export function toEndpoint(row: Pick<WebhookEndpointsTable, 'id' | 'business_id' | 'url' | 'event_types' | 'active' | 'created_at'>): WebhookEndpoint {
  return {
    id: row.id,
    businessId: row.business_id,
    url: row.url,
    eventTypes: row.event_types === null ? null : (JSON.parse(row.event_types) as EventType[]),
    active: Number(row.active) === 1,
    createdAt: Number(row.created_at),
  };
}

/** True when an endpoint subscribed with `eventTypes` (JSON text or null) wants `type`. */
export function endpointWants(eventTypes: string | null, type: EventType): boolean {
  if (eventTypes === null) return true;
  try {
    const list: unknown = JSON.parse(eventTypes);
    return Array.isArray(list) && list.includes(type);
  } catch {
    return false;
  }
}

const PUBLIC_COLUMNS = ['id', 'business_id', 'url', 'event_types', 'active', 'created_at'] as const;

export class WebhookEndpointStore {
  readonly #db: Db;
  readonly #vault: Vault;
  readonly #now: () => number;

  constructor(db: Db, vault: Vault, now: () => number) {
    this.#db = db;
    this.#vault = vault;
    this.#now = now;
  }

  /** Creates an endpoint with a fresh secret, returned here and never again. */
  async create(businessId: string, url: string, eventTypes: readonly EventType[] | null): Promise<CreateEndpointResult> {
    const id = randomUUID();
    const now = this.#now();
    const scope = endpointScope({ business_id: businessId, id });
    const dataKey = this.#vault.newDataKey(scope);
    const secret = newWebhookSecret();
    const row: WebhookEndpointsTable = {
      id,
      business_id: businessId,
      url,
      event_types: eventTypes === null ? null : JSON.stringify([...new Set(eventTypes)]),
      data_key: dataKey.wrapped,
      data_key_kid: dataKey.kid,
      secret: this.#vault.sealField(scope, dataKey, SECRET_FIELD, secret),
      active: 1,
      created_at: now,
      disabled_at: null,
    };
    return this.#db.kysely.transaction().execute(async (trx) => {
      // Two concurrent creates may both pass this count on PostgreSQL (READ COMMITTED); the limit is a
      // guard against runaway fan-out, not an exact quota, so one over is acceptable.
      const count = await trx
        .selectFrom('webhook_endpoints')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('business_id', '=', businessId)
        .where('active', '=', 1)
        .executeTakeFirstOrThrow();
      if (Number(count.n) >= MAX_ENDPOINTS_PER_BUSINESS) return { limitReached: true } as const;
      await trx.insertInto('webhook_endpoints').values(row).execute();
      return { created: toEndpoint(row), secret };
    });
  }

  /** Active endpoints of a business, newest first, `limit + 1` rows after `cursor`. */
  async list(businessId: string, limit: number, cursor: Cursor | undefined): Promise<WebhookEndpoint[]> {
    const rows = await this.#db.kysely
      .selectFrom('webhook_endpoints')
      .select(PUBLIC_COLUMNS)
      .where('business_id', '=', businessId)
      .where('active', '=', 1)
      .$if(cursor !== undefined, (q) =>
        q.where((eb) => eb.or([eb('created_at', '<', Number(cursor!.key)), eb.and([eb('created_at', '=', Number(cursor!.key)), eb('id', '<', cursor!.id)])])),
      )
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    return rows.map(toEndpoint);
  }

  /** An active endpoint of this business, or undefined (also for another tenant's id). */
  async find(businessId: string, id: string): Promise<WebhookEndpoint | undefined> {
    const row = await this.#db.kysely
      .selectFrom('webhook_endpoints')
      .select(PUBLIC_COLUMNS)
      .where('business_id', '=', businessId)
      .where('id', '=', id)
      .where('active', '=', 1)
      .executeTakeFirst();
    return row ? toEndpoint(row) : undefined;
  }

  /**
   * Deactivates the endpoint, drops its secret, and marks its pending deliveries dead in the same
   * transaction. A delivery already in flight may still arrive once (the worker re-checks on claim).
   * Returns false when there was no such active endpoint.
   */
  async delete(businessId: string, id: string): Promise<boolean> {
    const now = this.#now();
    return this.#db.kysely.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('webhook_endpoints')
        .set({ active: 0, disabled_at: now, secret: null })
        .where('business_id', '=', businessId)
        .where('id', '=', id)
        .where('active', '=', 1)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      await killPendingDeliveries(trx, id, now);
      return true;
    });
  }

  /** The endpoint's signing secret; throws `CredentialsCorruptError` if the ciphertext is not where it belongs. */
  openSecret(row: Pick<WebhookEndpointsTable, 'id' | 'business_id' | 'data_key' | 'secret'>): string {
    if (row.secret === null) throw new TypeError('the endpoint has no secret (deleted)');
    const scope = endpointScope(row);
    return this.#vault.openField(scope, this.#vault.unwrap(scope, row.data_key), SECRET_FIELD, row.secret);
  }
}

async function killPendingDeliveries(trx: Kysely<Database>, endpointId: string, now: number): Promise<void> {
  await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'dead', last_error: 'endpoint deleted', next_attempt_at: now, lease_owner: null, lease_until: null })
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .execute();
}
