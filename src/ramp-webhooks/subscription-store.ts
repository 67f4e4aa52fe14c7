/**
 * @module Ramp webhook subscriptions at rest: one row per business, Ramp's secret sealed by the vault
 * under the row's data key (AAD `{environment: 'ramp-webhook', businessId, rowId: id}`), so `keys
 * rotate` rewraps it with every other secret. Every query is scoped by business, except the lookup by
 * `route_key`, which is how an unauthenticated event finds the one row (and secret) allowed to check it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Updateable } from 'kysely';
import { claimDue } from '../core/claim-due.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { SECRET_FIELD, rampWebhookScope } from '../vault/encrypted-tables.ts';
import type { Vault } from '../vault/vault.ts';
import type { RampWebhookSubscriptionsTable } from './webhook-schema.ts';

export type SubscriptionRow = RampWebhookSubscriptionsTable;

/** A fresh endpoint path segment: 128 random bits, URL-safe. */
export function newRouteKey(): string {
  return randomBytes(16).toString('base64url');
}

export class SubscriptionStore {
  readonly #db: Db;
  readonly #vault: Vault;

  constructor(db: Db, vault: Vault) {
    this.#db = db;
    this.#vault = vault;
  }

  get #k(): Kysely<Database> {
    return this.#db.kysely;
  }

  find(businessId: string): Promise<SubscriptionRow | undefined> {
    return this.#k.selectFrom('ramp_webhook_subscriptions').selectAll().where('business_id', '=', businessId).executeTakeFirst();
  }

  findByRouteKey(routeKey: string): Promise<SubscriptionRow | undefined> {
    return this.#k.selectFrom('ramp_webhook_subscriptions').selectAll().where('route_key', '=', routeKey).executeTakeFirst();
  }

  /**
   * After a connect: the business's row, reset to `creating` and due now (a reconnect replaces the
   * previous subscription). The subscribe job (subscription-lifecycle.ts) does the Ramp calls.
   * An existing row keeps its `ramp_subscription_id`: a connect that replaced a `needs_reauth`
   * connection went through no disconnect, so that subscription is still live at Ramp, sending every
   * event to a route key no row has any more; the job deletes it with the new token before creating
   * the new one (a 404 there means it is gone already, or not this token's to see).
   */
  async queueCreate(input: { businessId: string; connectionId: string; environment: string; now: number }): Promise<void> {
    const { businessId, connectionId, environment, now } = input;
    const reset = {
      connection_id: connectionId,
      environment,
      route_key: newRouteKey(),
      ramp_business_id: null,
      secret: null,
      event_types: '[]',
      status: 'creating' as const,
      status_reason: null,
      verified_at: null,
      last_checked_at: null,
      next_check_at: now,
      attempts: 0,
      updated_at: now,
    };
    const existing = await this.find(businessId);
    if (existing) {
      await this.#k.updateTable('ramp_webhook_subscriptions').set(reset).where('id', '=', existing.id).where('business_id', '=', businessId).execute();
      return;
    }
    const id = randomUUID();
    const dataKey = this.#vault.newDataKey(rampWebhookScope({ business_id: businessId, id }));
    await this.#k
      .insertInto('ramp_webhook_subscriptions')
      .values({ id, business_id: businessId, data_key: dataKey.wrapped, data_key_kid: dataKey.kid, ramp_subscription_id: null, last_event_at: null, created_at: now, ...reset })
      .onConflict((oc) => oc.column('business_id').doUpdateSet(reset))
      .execute();
  }

  /** Seals Ramp's secret for this row (the answer to the create, shown once). */
  sealSecret(row: Pick<SubscriptionRow, 'business_id' | 'id' | 'data_key'>, secret: string): Uint8Array {
    const scope = rampWebhookScope(row);
    return this.#vault.sealField(scope, this.#vault.unwrap(scope, row.data_key), SECRET_FIELD, secret);
  }

  /** The row's secret, or undefined while Ramp has not answered the create. Throws when it cannot be opened. */
  openSecret(row: SubscriptionRow): string | undefined {
    if (row.secret === null) return undefined;
    const scope = rampWebhookScope(row);
    return this.#vault.openField(scope, this.#vault.unwrap(scope, row.data_key), SECRET_FIELD, row.secret);
  }

  /** Updates the row only while it still has `routeKey` (a reconnect or re-create meanwhile wins). */
  async update(row: Pick<SubscriptionRow, 'id' | 'business_id'>, routeKey: string, set: Updateable<RampWebhookSubscriptionsTable>): Promise<boolean> {
    const result = await this.#k
      .updateTable('ramp_webhook_subscriptions')
      .set(set)
      .where('id', '=', row.id)
      .where('business_id', '=', row.business_id)
      .where('route_key', '=', routeKey)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async delete(businessId: string): Promise<void> {
    await this.#k.deleteFrom('ramp_webhook_subscriptions').where('business_id', '=', businessId).execute();
  }

  /** The business's row, if it still belongs to `connectionId` (not to a connection made since). */
  async deleteOfConnection(businessId: string, connectionId: string): Promise<void> {
    await this.#k.deleteFrom('ramp_webhook_subscriptions').where('business_id', '=', businessId).where('connection_id', '=', connectionId).execute();
  }

  /** At most one write a second per business: a burst of events does not queue behind its own bookkeeping. */
  async touchLastEvent(businessId: string, now: number): Promise<void> {
    await this.#k
      .updateTable('ramp_webhook_subscriptions')
      .set({ last_event_at: now })
      .where('business_id', '=', businessId)
      .where((eb) => eb.or([eb('last_event_at', 'is', null), eb('last_event_at', '<', now - 1_000)]))
      .execute();
  }

  /** Claims due rows (one replica each): their `next_check_at` moves `leaseMs` ahead while this replica works on them. */
  claimDue(now: number, leaseMs: number, limit: number): Promise<SubscriptionRow[]> {
    return claimDue(this.#k, this.#db.dialect, {
      table: 'ramp_webhook_subscriptions',
      key: 'id',
      due: (q) => q.where('next_check_at', '<=', now).orderBy('next_check_at').limit(limit),
      set: { next_check_at: now + leaseMs },
      recheck: (q) => q.where('next_check_at', '<=', now),
    })
      .returningAll()
      .execute() as Promise<SubscriptionRow[]>;
  }
}
