/**
 * @module Each synced record's readiness episode (`ramp_records.ready_episode`): how many times a read
 * of Ramp found the object ready to sync (`sync_status` SYNC_READY) after we held it as not ready,
 * synced by us or by Ramp, or not yet ready.
 *
 * Why: mark-synced keys each batch it sends to Ramp's `accounting/syncs` by the batch's content, so that
 * a retried request replays at Ramp (src/accounting/ready-status-back.ts). An object Ramp re-opens
 * after it was synced (edited in Ramp, it is ready to sync again) and that is reported again with the
 * same reference made the same key, and Ramp answered it as a replay without recording it: the object
 * stayed ready for good. Its episode now goes into the key. Only our reads move the episode (the
 * shared upsert, src/sync/page-commit.ts); mark-synced's own local mark never does, so a retry of the
 * same request within one episode still makes the same keys. Records stored before this migration
 * start in episode 0, whose keys are the ones sent before it.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('ramp_records').addColumn('ready_episode', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
