/**
 * @module `Idempotency-Key` answers (docs/guarantees.md#g42): one row per business, API token and key,
 * holding a digest of the request and, once answered, the status and body to replay. Expired rows
 * (24 hours) are deleted by the next keyed request of the same business.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().references('businesses.id').onDelete('cascade'))
    .addColumn('token_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('idempotency_key', 'varchar(255)', (c) => c.notNull())
    .addColumn('request_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['business_id', 'token_id', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_expiry_idx').on('idempotency_keys').columns(['business_id', 'expires_at']).execute();
}
