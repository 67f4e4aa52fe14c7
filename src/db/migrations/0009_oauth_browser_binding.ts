/**
 * @module Binds a pending authorization to the browser that opened it (docs/guarantees.md#g41):
 * `browser_hash` is the SHA-256 of the secret in that browser's `__Host-` cookie, set when the
 * browser first opens our launch URL; null until then.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oauth_states').addColumn('browser_hash', 'varchar(64)').execute();
}
