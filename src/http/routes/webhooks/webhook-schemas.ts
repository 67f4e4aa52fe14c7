/** @module Wire schemas of the webhook and event routes, and the row → view mappings. */
import { Type } from 'typebox';
import { EVENT_TYPES } from '../../../events/event-sink.ts';
import type { DeliveryRecord, EventRecord } from '../../../events/event-log.ts';
import type { WebhookEndpoint } from '../../../events/webhook-endpoint-store.ts';
import { Nullable } from '../../../core/schemas.ts';

export const EventTypeSchema = Type.Union(
  EVENT_TYPES.map((t) => Type.Literal(t)),
  { $id: 'EventType' },
);

export const WebhookEndpointCreate = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL receiving signed POSTs; no credentials in it' }),
    event_types: Type.Optional(Nullable(Type.Array(EventTypeSchema, { minItems: 1, maxItems: EVENT_TYPES.length * 2 }))),
  },
  { $id: 'WebhookEndpointCreate', additionalProperties: false },
);

const endpointFields = {
  id: Type.String({ format: 'uuid' }),
  url: Type.String(),
  event_types: Nullable(Type.Array(EventTypeSchema, { description: 'null: every event type' })),
  active: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
};

export const WebhookEndpointView = Type.Object(endpointFields, { $id: 'WebhookEndpoint' });

export const WebhookEndpointCreated = Type.Object(
  { ...endpointFields, secret: Type.String({ description: 'Signing secret "whsec_…", shown only in this response' }) },
  { $id: 'WebhookEndpointCreated' },
);

export const WebhookDeliveryView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    event_id: Type.String({ format: 'uuid' }),
    event_type: EventTypeSchema,
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')]),
    attempts: Type.Integer(),
    last_status_code: Nullable(Type.Integer()),
    last_error: Nullable(Type.String()),
    next_attempt_at: Nullable(Type.String({ format: 'date-time' })),
    delivered_at: Nullable(Type.String({ format: 'date-time' })),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'WebhookDelivery' },
);

export const EventView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    type: EventTypeSchema,
    created_at: Type.String({ format: 'date-time' }),
    business_id: Type.String({ format: 'uuid' }),
    data: Type.Object({}, { additionalProperties: true }),
  },
  { $id: 'Event' },
);

export const WebhookIdParams = Type.Object({ webhook_id: Type.String({ format: 'uuid' }) });

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function toEndpointView(endpoint: WebhookEndpoint) {
  return { id: endpoint.id, url: endpoint.url, event_types: endpoint.eventTypes === null ? null : [...endpoint.eventTypes], active: endpoint.active, created_at: iso(endpoint.createdAt) };
}

export function toDeliveryView(d: DeliveryRecord) {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    next_attempt_at: isoOrNull(d.nextAttemptAt),
    delivered_at: isoOrNull(d.deliveredAt),
    created_at: iso(d.createdAt),
  };
}

/** The same shape as the webhook body, so a receiver can replay an event it missed. */
export function toEventView(e: EventRecord) {
  return { id: e.id, type: e.type, created_at: iso(e.createdAt), business_id: e.businessId, data: e.data };
}
