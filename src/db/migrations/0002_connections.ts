/**
 * @module Ramp connections (one per business, secrets encrypted under a per-row data key), pending OAuth
 * authorizations, and sync configuration.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';
import { binary } from './column-types.ts';

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('ramp_connections')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    // One connection per business; a reconnect replaces the row (src/connections/connections-repo.ts).
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().unique().references('businesses.id').onDelete('cascade'))
    .addColumn('environment', 'varchar(16)', (c) => c.notNull())
    .addColumn('auth_method', 'varchar(32)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('client_id', 'varchar(512)')
    .addColumn('data_key', binary(dialect), (c) => c.notNull())
    .addColumn('data_key_kid', 'varchar(64)', (c) => c.notNull())
    .addColumn('access_token', binary(dialect))
    .addColumn('refresh_token', binary(dialect))
    .addColumn('client_secret', binary(dialect))
    .addColumn('access_token_expires_at', 'bigint')
    .addColumn('last_refreshed_at', 'bigint')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('lease_until', 'bigint')
    .addColumn('refresh_attempt_id', 'varchar(64)')
    .addColumn('refresh_attempt_at', 'bigint')
    .addColumn('refresh_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_refresh_at', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'bigint')
    .addColumn('created_by_token_id', 'varchar(32)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // The proactive-refresh scheduler scans by due time, so its cost follows the due set, not the table.
  await db.schema.createIndex('ramp_connections_due_idx').on('ramp_connections').columns(['status', 'next_refresh_at']).execute();
  await db.schema.createIndex('ramp_connections_kid_idx').on('ramp_connections').column('data_key_kid').execute();

  await db.schema
    .createTable('oauth_states')
    .addColumn('state_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().references('businesses.id').onDelete('cascade'))
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('token_id', 'varchar(32)')
    .addColumn('environment', 'varchar(16)', (c) => c.notNull())
    .addColumn('return_to', 'text')
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('data_key', binary(dialect), (c) => c.notNull())
    .addColumn('data_key_kid', 'varchar(64)', (c) => c.notNull())
    .addColumn('code_verifier', binary(dialect), (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('ramp_sync_configs')
    .addColumn('business_id', 'varchar(36)', (c) => c.primaryKey().references('businesses.id').onDelete('cascade'))
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('next_auto_sync_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ramp_sync_configs_due_idx').on('ramp_sync_configs').column('next_auto_sync_at').execute();
}
