/**
 * @module A disconnect whose revocation Ramp could not confirm keeps the row, sealed and unusable,
 * as `revoke_pending` (docs/guarantees.md#g43): since when, and when to try again.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('ramp_connections').addColumn('revoke_pending_since', 'bigint').execute();
  await db.schema.alterTable('ramp_connections').addColumn('next_revoke_at', 'bigint').execute();
}
