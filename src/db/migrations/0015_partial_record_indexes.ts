/**
 * @module The read API's `state`, `user_id` and `card_id` indexes on `ramp_records` hold only the
 * records that have that column (issue 13).
 *
 * Why: every index entry is a random-order insert during a sync's bulk writes, and most records have
 * none of these columns (memos, receipts, merchants, … have no state, no card, often no user): a
 * full index paid for them for nothing. A filter `state = ?` implies `state is not null`, so the
 * planners of both SQLite and PostgreSQL can still use the partial index for it.
 */
import { sql, type Kysely } from 'kysely';

const PARTIAL = [
  ['ramp_records_state_idx', 'state'],
  ['ramp_records_user_idx', 'user_id'],
  ['ramp_records_card_idx', 'card_id'],
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, column] of PARTIAL) {
    await db.schema.dropIndex(name).execute();
    await sql
      .raw(`create index ${name} on ramp_records (business_id, resource, ${column}, occurred_at) where ${column} is not null`)
      .execute(db);
  }
}
