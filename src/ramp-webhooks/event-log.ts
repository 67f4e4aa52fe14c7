/**
 * @module The record of Ramp events received, one row per (business, Ramp event id) in
 * `ramp_webhook_events`, for both Ramp webhook routes. Ramp sends every retry of an event with the same
 * id (Ramp's webhooks.mdx, "Delivery and Retry Logic") and may deliver it twice, and its signature
 * covers only the body, so a captured event can be sent again by anyone: the unique (business, event
 * id) lets each act once. Rows are pruned 7 days after receipt (event-processor.ts `prune`).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { RampWebhookEvent } from '../sync/webhook-verification.ts';

export interface RecordEventInput {
  readonly businessId: string;
  readonly event: Pick<RampWebhookEvent, 'id' | 'type' | 'object'>;
  readonly now: number;
  /**
   * `worker`: left for the event worker to read its object (per-connection route);
   * `sync_scheduled`: handled already by the incremental sync queued in the same transaction (fallback route).
   */
  readonly handling: 'worker' | 'sync_scheduled';
}

/** Records the event for the business; false when it was recorded before (a retry or replay: do nothing). */
export async function recordEvent(db: Kysely<Database>, input: RecordEventInput): Promise<boolean> {
  const { businessId, event, now, handling } = input;
  const objectId = typeof event.object?.id === 'string' ? event.object.id.slice(0, 128) : null;
  const state = handling === 'worker' ? { next_attempt_at: now, processed_at: null, outcome: null } : { next_attempt_at: null, processed_at: now, outcome: handling };
  const inserted = await db
    .insertInto('ramp_webhook_events')
    .values({ id: randomUUID(), business_id: businessId, event_id: event.id, type: event.type, object_id: objectId, received_at: now, attempts: 0, ...state })
    .onConflict((oc) => oc.columns(['business_id', 'event_id']).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
}
