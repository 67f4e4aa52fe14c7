/**
 * @module Ramp webhooks received per connection (docs/ramp-webhooks-plan.md): one subscription row per
 * business (its Ramp secret sealed by the vault under a per-row data key, so the table is listed in
 * src/vault/encrypted-tables.ts), the idempotency record of every event received (unique per business
 * and Ramp event id), and the read time of each stored record, so a stale read never overwrites a
 * newer one.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';
import { binary } from './column-types.ts';

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('ramp_webhook_subscriptions')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().unique().references('businesses.id').onDelete('cascade'))
    .addColumn('connection_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('environment', 'varchar(16)', (c) => c.notNull())
    .addColumn('route_key', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('ramp_subscription_id', 'varchar(64)')
    .addColumn('ramp_business_id', 'varchar(64)')
    .addColumn('data_key', binary(dialect), (c) => c.notNull())
    .addColumn('data_key_kid', 'varchar(64)', (c) => c.notNull())
    .addColumn('secret', binary(dialect))
    .addColumn('event_types', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('last_event_at', 'bigint')
    .addColumn('verified_at', 'bigint')
    .addColumn('last_checked_at', 'bigint')
    .addColumn('next_check_at', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ramp_webhook_subscriptions_due_idx').on('ramp_webhook_subscriptions').column('next_check_at').execute();
  await db.schema.createIndex('ramp_webhook_subscriptions_kid_idx').on('ramp_webhook_subscriptions').column('data_key_kid').execute();

  await db.schema
    .createTable('ramp_webhook_events')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().references('businesses.id').onDelete('cascade'))
    .addColumn('event_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('object_id', 'varchar(128)')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('processed_at', 'bigint')
    .addColumn('outcome', 'varchar(32)')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // Ramp repeats an event with the same id on every retry and may deliver it twice: one row, one fetch.
    .addUniqueConstraint('ramp_webhook_events_event_uq', ['business_id', 'event_id'])
    .execute();
  // The worker's claim scans by due time (null once processed); pruning by receipt time.
  await db.schema.createIndex('ramp_webhook_events_due_idx').on('ramp_webhook_events').column('next_attempt_at').execute();
  await db.schema.createIndex('ramp_webhook_events_received_idx').on('ramp_webhook_events').column('received_at').execute();

  await db.schema.alterTable('ramp_records').addColumn('ramp_read_at', 'bigint').execute();
}
