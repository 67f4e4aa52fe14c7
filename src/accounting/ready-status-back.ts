/**
 * @module Status back: the product's successes and failures for objects it posted (or could not post)
 * to its books, sent to Ramp's `POST /developer/v1/accounting/syncs` (docs/ramp-behaviour.md#accounting-syncs)
 * in batches of at most 5,000 objects, one call each.
 *
 * Each batch's `idempotency_key` is derived from the business, the sync type, the batch's content and
 * the readiness episode of each of its objects, and batches are cut from the objects sorted by id.
 *
 * An object's readiness episode (`ramp_records.ready_episode`, migration 0020_ready_episode) counts the
 * times our reads of Ramp found it ready to sync after we held it as not ready: it moves on when Ramp
 * re-opens an object after it was synced (edited in Ramp, it is in the ready feed again). Ramp's
 * `accounting/syncs` answers a key it has seen as a replay of that request and records nothing
 * (developer-api.json, `post_sync_list_resource`, says keys ensure "subsequent requests are properly
 * handled" and nothing of their expiring); without the episode, the object reported again with the
 * same reference (or the same failure message) would make the old key and never be recorded: ready
 * for good. Nothing this module writes moves the episode (its local mark sets `sync_status` and
 * `ramp_read_at`), nor does a read finding the object synced, so within one episode the same request
 * always makes the same batches with the same keys: a retried request (after a timeout, a 5xx, a crash
 * between batches, a sync in between) has Ramp replay the batches it already recorded and never records
 * one twice. Objects in episode 0 (never re-opened since we stored them, or not stored at all) add
 * nothing to the key: a batch of those keeps the key sent before episodes were kept, and a batch of
 * successes without their own references the key the earlier single-call mark-synced used.
 *
 * Once Ramp accepts a batch, its successes leave the ready feed (`sync_status` SYNCED; the next sync
 * reads Ramp's own status over it) and its failures are kept with their message until a later success.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { ApiError } from '../core/errors.ts';
import type { Database } from '../db/schema.ts';
import type { RampClient } from '../ramp/ramp-client.ts';
import { readyKindOfSyncType, type ReadySyncType } from './ready-types.ts';
import { scopeRefusal } from './scope-refusal.ts';
import './ready-schema.ts';
import '../sync/sync-schema.ts';

/** Ramp's limit of objects per `accounting/syncs` call (docs/ramp-behaviour.md#accounting-syncs). */
export const MAX_SYNCS_PER_CALL = 5000;

export interface StatusBackRequest {
  readonly syncType: ReadySyncType;
  /** Posted to the books; `referenceId` is the books' id for it (the object's own id when the books have none). */
  readonly successes: readonly { readonly id: string; readonly referenceId: string }[];
  readonly failures: readonly { readonly id: string; readonly message: string }[];
}

export interface StatusBatch {
  readonly idempotencyKey: string;
  readonly successes: readonly { readonly id: string; readonly referenceId: string }[];
  readonly failures: readonly { readonly id: string; readonly message: string }[];
}

export interface StatusBackResult {
  readonly sync_type: ReadySyncType;
  readonly successful: number;
  readonly failed: number;
  readonly batches: readonly { sync_id: string | null; idempotency_key: string; successful: number; failed: number }[];
}

/** Objects' readiness episodes by id; an object not in it is in episode 0. */
export type ReadyEpisodes = ReadonlyMap<string, number>;

const sha256 = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/** The key of a batch of plain successes in episode 0 (also the earlier single-call mark-synced's key). */
export function markSyncedIdempotencyKey(businessId: string, syncType: string, objectIds: readonly string[]): string {
  return sha256([businessId, syncType, [...new Set(objectIds)].sort()]);
}

function batchKey(businessId: string, syncType: string, batch: Omit<StatusBatch, 'idempotencyKey'>, episodes: ReadyEpisodes): string {
  // An object in a later episode adds it to its entry; one in episode 0 is keyed as before episodes were kept.
  const episode = (id: string): number[] => {
    const value = episodes.get(id) ?? 0;
    return value > 0 ? [value] : [];
  };
  const reopened = [...batch.successes, ...batch.failures].some((item) => episode(item.id).length > 0);
  if (!reopened && batch.failures.length === 0 && batch.successes.every((item) => item.referenceId === item.id)) {
    return markSyncedIdempotencyKey(businessId, syncType, batch.successes.map((item) => item.id));
  }
  return sha256([
    businessId,
    syncType,
    batch.successes.map((item) => [item.id, item.referenceId, ...episode(item.id)]),
    batch.failures.map((item) => [item.id, item.message, ...episode(item.id)]),
  ]);
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The request's batches: every object once, sorted by id, at most `size` per batch, each with its key,
 * stable while its objects' `episodes` are (`readyEpisodesOf`).
 */
export function planStatusBatches(businessId: string, request: StatusBackRequest, episodes: ReadyEpisodes = new Map(), size = MAX_SYNCS_PER_CALL): StatusBatch[] {
  const items = [
    ...[...new Map(request.successes.map((item) => [item.id, item])).values()].map((item) => ({ id: item.id, success: item })),
    ...[...new Map(request.failures.map((item) => [item.id, item])).values()].map((item) => ({ id: item.id, failure: item })),
  ].sort(byId);
  const batches: StatusBatch[] = [];
  for (let start = 0; start < items.length; start += size) {
    const chunk = items.slice(start, start + size);
    const content = {
      successes: chunk.flatMap((item) => ('success' in item ? [item.success] : [])),
      failures: chunk.flatMap((item) => ('failure' in item ? [item.failure] : [])),
    };
    batches.push({ ...content, idempotencyKey: batchKey(businessId, request.syncType, content, episodes) });
  }
  return batches;
}

/** Ids per query: well under SQLite's 32,766 parameters. */
const EPISODE_CHUNK = 1000;

/** The stored readiness episodes of the request's objects that are past episode 0 (usually none). */
export async function readyEpisodesOf(db: Kysely<Database>, businessId: string, request: StatusBackRequest): Promise<Map<string, number>> {
  const { resource } = readyKindOfSyncType(request.syncType);
  const ids = [...new Set([...request.successes, ...request.failures].map((item) => item.id))];
  const episodes = new Map<string, number>();
  for (let start = 0; start < ids.length; start += EPISODE_CHUNK) {
    const rows = await db.selectFrom('ramp_records').select(['id', 'ready_episode'])
      .where('business_id', '=', businessId).where('resource', '=', resource).where('id', 'in', ids.slice(start, start + EPISODE_CHUNK)).where('ready_episode', '>', 0)
      .execute();
    for (const row of rows) episodes.set(row.id, Number(row.ready_episode));
  }
  return episodes;
}

function syncIdOf(answer: unknown): string | null {
  const id = (answer as { sync_id?: unknown } | null)?.sync_id;
  return typeof id === 'string' ? id : null;
}

/**
 * What Ramp accepted, applied to the feed: successes synced, failures kept with their message.
 *
 * `now` is after Ramp's answer, so Ramp had applied the batch by then; the next millisecond becomes
 * the successes' `ramp_read_at`, the time their stored state is known to hold from (a read begun in
 * the same millisecond may not have seen it). A sync page or webhook fetch that read Ramp before it
 * (the object still `SYNC_READY`) and commits later is then refused by the
 * upsert's read-time guard (src/sync/page-commit.ts), instead of putting the object back in the feed,
 * where the product would post it to its books a second time.
 */
async function applyBatch(db: Kysely<Database>, businessId: string, syncType: ReadySyncType, batch: StatusBatch, now: number): Promise<void> {
  const { resource } = readyKindOfSyncType(syncType);
  const ids = batch.successes.map((item) => item.id);
  await db.transaction().execute(async (trx) => {
    if (ids.length > 0) {
      const knownFrom = now + 1;
      const readAt = sql<number>`case when "ramp_read_at" is null or "ramp_read_at" < ${knownFrom} then ${knownFrom} else "ramp_read_at" end`;
      await trx.updateTable('ramp_records').set({ sync_status: 'SYNCED', ramp_read_at: readAt })
        .where('business_id', '=', businessId).where('resource', '=', resource).where('id', 'in', ids).where('sync_status', 'is not', null).execute();
      await trx.deleteFrom('ramp_accounting_sync_failures').where('business_id', '=', businessId).where('resource', '=', resource).where('object_id', 'in', ids).execute();
    }
    for (let start = 0; start < batch.failures.length; start += 500) {
      const rows = batch.failures.slice(start, start + 500).map((item) => ({
        business_id: businessId, resource, object_id: item.id, sync_type: syncType, message: item.message, failed_at: now,
      }));
      await trx.insertInto('ramp_accounting_sync_failures').values(rows)
        .onConflict((oc) => oc.columns(['business_id', 'resource', 'object_id']).doUpdateSet((eb) => ({
          sync_type: eb.ref('excluded.sync_type'), message: eb.ref('excluded.message'), failed_at: eb.ref('excluded.failed_at'),
        })))
        .execute();
    }
  });
}

/** One Ramp call. A refusal or failure after earlier batches says they were recorded (and replay when the request is sent again). */
async function sendBatch(deps: StatusBackDeps, businessId: string, syncType: ReadySyncType, batch: StatusBatch, done: number, total: number): Promise<unknown> {
  try {
    return await deps.client.createAccountingSync(businessId, {
      idempotency_key: batch.idempotencyKey,
      sync_type: syncType,
      ...(batch.successes.length > 0 ? { successful_syncs: batch.successes.map((item) => ({ id: item.id, reference_id: item.referenceId })) } : {}),
      ...(batch.failures.length > 0 ? { failed_syncs: batch.failures.map((item) => ({ id: item.id, error: { message: item.message } })) } : {}),
    });
  } catch (thrown) {
    const error = scopeRefusal(thrown);
    if (done === 0 || !(error instanceof ApiError)) throw error;
    const detail = `Batch ${done + 1} of ${total}: ${error.detail} (batches 1–${done} were recorded by Ramp; sending the same request again replays them)`;
    throw new ApiError(error.code, detail, { headers: { ...error.headers }, cause: error });
  }
}

export interface StatusBackDeps {
  readonly db: Kysely<Database>;
  readonly client: Pick<RampClient, 'createAccountingSync'>;
  readonly now: () => number;
}

/**
 * Sends the batches in order, one Ramp call each, applying each one Ramp accepted. A batch Ramp
 * refuses or fails stops the rest (the error is thrown); the batches before it stay recorded on both
 * sides, and the same request sent again replays them and continues.
 */
export async function reportSyncStatus(deps: StatusBackDeps, businessId: string, request: StatusBackRequest): Promise<StatusBackResult> {
  const batches: StatusBackResult['batches'][number][] = [];
  const planned = planStatusBatches(businessId, request, await readyEpisodesOf(deps.db, businessId, request));
  for (const batch of planned) {
    const answer = await sendBatch(deps, businessId, request.syncType, batch, batches.length, planned.length);
    await applyBatch(deps.db, businessId, request.syncType, batch, deps.now());
    batches.push({ sync_id: syncIdOf(answer), idempotency_key: batch.idempotencyKey, successful: batch.successes.length, failed: batch.failures.length });
  }
  return {
    sync_type: request.syncType,
    successful: batches.reduce((sum, batch) => sum + batch.successful, 0),
    failed: batches.reduce((sum, batch) => sum + batch.failed, 0),
    batches,
  };
}
