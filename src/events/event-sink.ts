/** @module Where features report what happened to a connection or a sync (delivered by the outbox, src/events). */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export type EventType =
  | 'connection.created'
  | 'connection.refresh_failed'
  | 'connection.needs_reauth'
  | 'connection.recovered'
  | 'connection.deleted'
  | 'sync.completed'
  | 'sync.failed';

// A Record so the compiler insists every EventType is listed, and nothing else.
const EVENT_TYPE_SET: Record<EventType, true> = {
  'connection.created': true,
  'connection.refresh_failed': true,
  'connection.needs_reauth': true,
  'connection.recovered': true,
  'connection.deleted': true,
  'sync.completed': true,
  'sync.failed': true,
};

/** Every event type, for schemas and validation. */
export const EVENT_TYPES = Object.freeze(Object.keys(EVENT_TYPE_SET) as EventType[]);

export interface EventSink {
  emit(businessId: string, type: EventType, data: Record<string, unknown>): Promise<void>;
  /**
   * Records the event inside the caller's transaction, so it commits or rolls back with the change it
   * describes (the outbox implements it; a sink without it can only `emit` after the commit).
   */
  emitIn?(trx: Kysely<Database>, businessId: string, type: EventType, data: Record<string, unknown>): Promise<unknown>;
}

export const NO_EVENTS: EventSink = { emit: async () => {}, emitIn: async () => {} };
