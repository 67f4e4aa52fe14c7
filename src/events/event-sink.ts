/** @module Where features report what happened to a connection or a sync (delivered by the outbox, src/events). */

export type EventType =
  | 'connection.created'
  | 'connection.refresh_failed'
  | 'connection.needs_reauth'
  | 'connection.recovered'
  | 'connection.deleted'
  | 'sync.completed'
  | 'sync.failed';

export interface EventSink {
  emit(businessId: string, type: EventType, data: Record<string, unknown>): Promise<void>;
}

export const NO_EVENTS: EventSink = { emit: async () => {} };
