/**
 * @module Durable events and outbound webhooks: endpoints (signing secret sealed by the vault under a
 * per-row data key), the event log, and one delivery row per (event, endpoint) — the outbox the
 * delivery worker drains (src/events).
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';
import { binary } from './column-types.ts';
// The table holds wrapped data keys: it is listed in src/vault/encrypted-tables.ts, so `keys rotate`
// and `keys status` rewrap and count it.

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().references('businesses.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('event_types', 'text')
    .addColumn('data_key', binary(dialect), (c) => c.notNull())
    .addColumn('data_key_kid', 'varchar(64)', (c) => c.notNull())
    .addColumn('secret', binary(dialect))
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('disabled_at', 'bigint')
    .execute();
  // Emitting looks up a business's active endpoints; listing pages through them newest first.
  await db.schema.createIndex('webhook_endpoints_business_idx').on('webhook_endpoints').columns(['business_id', 'active', 'created_at', 'id']).execute();
  await db.schema.createIndex('webhook_endpoints_kid_idx').on('webhook_endpoints').column('data_key_kid').execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().references('businesses.id').onDelete('cascade'))
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_business_time_idx').on('events').columns(['business_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('events_business_type_idx').on('events').columns(['business_id', 'type', 'created_at', 'id']).execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('event_id', 'varchar(36)', (c) => c.notNull().references('events.id').onDelete('cascade'))
    .addColumn('endpoint_id', 'varchar(36)', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('lease_until', 'bigint')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // At most one delivery per (event, endpoint), whatever retries the emitter does.
    .addUniqueConstraint('webhook_deliveries_event_endpoint_uq', ['event_id', 'endpoint_id'])
    .execute();
  // The worker's claim scans by due time, so its cost follows the due set, not the table.
  await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_endpoint_idx').on('webhook_deliveries').columns(['endpoint_id', 'created_at', 'id']).execute();
}
