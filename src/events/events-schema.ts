/**
 * @module Table types of durable events and outbound webhooks (migration 0004_events), added to the
 * shared `Database` interface by module augmentation so `src/db/schema.ts` stays the foundation's file.
 */
import type { EventType } from './event-sink.ts';

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface WebhookEndpointsTable {
  id: string;
  business_id: string;
  url: string;
  /** JSON array of `EventType`s, or null for every type. */
  event_types: string | null;
  /** The row's data key, wrapped by a key-encryption key (src/vault). */
  data_key: Uint8Array;
  data_key_kid: string;
  /** The signing secret sealed by the vault; null once the endpoint is deleted. */
  secret: Uint8Array | null;
  /** 1 while the endpoint receives events; 0 after DELETE (kept so the delivery log stays joinable). */
  active: number;
  created_at: number;
  disabled_at: number | null;
}

export interface EventsTable {
  id: string;
  business_id: string;
  type: EventType;
  /** JSON object. */
  data: string;
  created_at: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  event_id: string;
  endpoint_id: string;
  business_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_status_code: number | null;
  /** A short classification ("HTTP 500", "timeout after 10000 ms"); never a response body. */
  last_error: string | null;
  delivered_at: number | null;
  created_at: number;
}

declare module '../db/schema.ts' {
  interface Database {
    webhook_endpoints: WebhookEndpointsTable;
    events: EventsTable;
    webhook_deliveries: WebhookDeliveriesTable;
  }
}
