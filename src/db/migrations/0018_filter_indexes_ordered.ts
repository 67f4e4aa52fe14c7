/**
 * @module The read API's filter indexes on `ramp_records` end with the read's order, `(occurred_at, id)`
 * (issue 13).
 *
 * Why: a read is `… WHERE <filter> ORDER BY occurred_at DESC, id DESC LIMIT n`. When a filter's index
 * could not give that order (`state`, `user_id`, `card_id` ended at `occurred_at`; `link_id` had no
 * time at all), SQLite's planner preferred the time index, which gives the order without a sort, and
 * walked every record of the business's resource to find the filter's few: a `user_id` or `card_id`
 * page of 300,000 stored transactions took 662 ms (median) with its index, 669 ms without. With the
 * order in the index, the first `n + 1` entries of the filter's range are the page (both planners):
 * 0.4 ms.
 * The indexes stay partial: records without the column take no entry (0015).
 */
import { sql, type Kysely } from 'kysely';

const FILTER_INDEXES = [
  ['ramp_records_state_idx', 'state'],
  ['ramp_records_user_idx', 'user_id'],
  ['ramp_records_card_idx', 'card_id'],
  ['ramp_records_link_idx', 'link_id'],
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, column] of FILTER_INDEXES) {
    await db.schema.dropIndex(name).execute();
    await sql
      .raw(`create index ${name} on ramp_records (business_id, resource, ${column}, occurred_at, id) where ${column} is not null`)
      .execute(db);
  }
}
