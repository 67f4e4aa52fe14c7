/**
 * @module Table types of Ramp webhook subscriptions and received events (migration
 * 0014_ramp_webhook_subscriptions), added to the shared `Database` interface by module augmentation.
 */

/**
 * - `creating`: queued, or Ramp not answered yet (no secret: the receiver answers 503);
 * - `pending`: Ramp created it; waiting for the challenge;
 * - `active`: verified, receiving events;
 * - `disabled`: Ramp disabled or lost it; the reconciler re-creates it;
 * - `polling_only`: we cannot receive Ramp's calls (`status_reason` says why); syncs poll at the normal pace;
 * - `failed`: creating failed; retried with backoff.
 */
export type RampWebhookStatus = 'creating' | 'pending' | 'active' | 'disabled' | 'polling_only' | 'failed';

export interface RampWebhookSubscriptionsTable {
  id: string;
  business_id: string;
  connection_id: string;
  environment: string;
  /** The endpoint's path segment (128 random bits): which row, hence which secret, checks an event. */
  route_key: string;
  ramp_subscription_id: string | null;
  /** Ramp's business of the subscription: every event must name it. */
  ramp_business_id: string | null;
  data_key: Uint8Array;
  data_key_kid: string;
  /** Ramp's `ramp_sec_…`, sealed (src/vault/encrypted-tables.ts `rampWebhookScope`). */
  secret: Uint8Array | null;
  /** JSON array of Ramp event types. */
  event_types: string;
  status: RampWebhookStatus;
  status_reason: string | null;
  last_event_at: number | null;
  verified_at: number | null;
  /** When the reconciler last found the subscription healthy at Ramp. */
  last_checked_at: number | null;
  /** When the row is next claimed (create, verify check, reconcile); null: never. */
  next_check_at: number | null;
  attempts: number;
  created_at: number;
  updated_at: number;
}

export interface RampWebhookEventsTable {
  id: string;
  business_id: string;
  /** Ramp's event id: the same on every retry of the event. */
  event_id: string;
  type: string;
  object_id: string | null;
  received_at: number;
  /** When the worker may next claim it; null once processed. */
  next_attempt_at: number | null;
  processed_at: number | null;
  /** `stored`, `unchanged`, `not_found`, `ignored`, `gave_up`; `sync_scheduled` (fallback route: a sync was queued instead). */
  outcome: string | null;
  attempts: number;
}

declare module '../db/schema.ts' {
  interface Database {
    ramp_webhook_subscriptions: RampWebhookSubscriptionsTable;
    ramp_webhook_events: RampWebhookEventsTable;
  }
}
