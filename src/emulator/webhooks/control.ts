/**
 * @module Control plane of the Ramp webhook subscriptions (`/__emulator/ramp-webhooks…`).
 *
 * Delivery switches, every delivery and attempt, and the ways Ramp can let a subscriber down:
 * disabling a subscription (`inactive`) or losing it altogether, so a reconciler can be tested.
 * Secrets and challenges are never shown here.
 */
import type { FastifyInstance } from 'fastify';
import { ControlBody } from '../control/body.ts';
import { ControlError } from '../errors.ts';
import { isUuid, newUuid } from '../ids.ts';
import type { EmulatorState } from '../state.ts';
import { defaultDeliveryConfig, parseDeliveryConfigBody } from './delivery-config.ts';
import { isRampWebhookEventType, RAMP_WEBHOOK_EVENT_TYPES } from './event-types.ts';
import type { WebhookSubscriptionRecord } from './subscriptions.ts';

const MAX_TEST_EVENTS = 10_000;

function controlView(subscription: WebhookSubscriptionRecord): Record<string, unknown> {
  return {
    id: subscription.id,
    business_id: subscription.businessId,
    environment: subscription.environment,
    client_id: subscription.clientId,
    endpoint_url: subscription.endpointUrl,
    event_types: [...subscription.eventTypes],
    additional_header_names: Object.keys(subscription.additionalHeaders),
    status: subscription.status,
    created_at: new Date(subscription.createdAtMs).toISOString(),
    updated_at: new Date(subscription.updatedAtMs).toISOString(),
  };
}

type Filter = { subscription_id?: string; event_id?: string; business_id?: string; kind?: string };

function matches(record: { subscription_id: string; event_id: string; business_id: string; kind: string }, filter: Filter): boolean {
  return (
    (filter.subscription_id === undefined || record.subscription_id === filter.subscription_id.toLowerCase()) &&
    (filter.event_id === undefined || record.event_id === filter.event_id.toLowerCase()) &&
    (filter.business_id === undefined || record.business_id === filter.business_id.toLowerCase()) &&
    (filter.kind === undefined || record.kind === filter.kind)
  );
}

export function registerRampWebhookControlRoutes(app: FastifyInstance, state: EmulatorState): void {
  const hooks = state.rampWebhooks;

  app.get('/ramp-webhooks', async () => ({ subscriptions: hooks.subscriptions.all().map(controlView), pending_deliveries: hooks.dispatcher.pending }));

  app.get('/ramp-webhooks/config', async () => hooks.config);

  app.post('/ramp-webhooks/config', async (request) => {
    const { patch, reset } = parseDeliveryConfigBody(request.body);
    hooks.config = { ...(reset ? defaultDeliveryConfig() : hooks.config), ...patch };
    return hooks.config;
  });

  app.get<{ Querystring: Filter }>('/ramp-webhooks/deliveries', async (request) => ({ deliveries: hooks.dispatcher.deliveries().filter((record) => matches(record, request.query)) }));

  app.get<{ Querystring: Filter }>('/ramp-webhooks/attempts', async (request) => ({ attempts: hooks.dispatcher.attempts().filter((record) => matches(record, request.query)) }));

  /** Ramp disabled the subscription: it stays listed as `inactive` and receives nothing. */
  app.post<{ Params: { id: string } }>('/ramp-webhooks/:id/disable', async (request) => {
    const subscription = hooks.disable(request.params.id);
    if (!subscription) throw new ControlError(404, 'Unknown webhook subscription');
    return controlView(subscription);
  });

  /** Ramp lost the subscription: it is gone from every read, as if never made. */
  app.delete<{ Params: { id: string } }>('/ramp-webhooks/:id', async (request, reply) => {
    if (!hooks.delete(request.params.id)) throw new ControlError(404, 'Unknown webhook subscription');
    return reply.code(204).send();
  });

  /** Emits events as if the objects had changed: `{type, object_ids? | count?, business_id?}` → `{event_ids}`. */
  app.post('/ramp-webhooks/events', async (request, reply) => {
    const body = new ControlBody(request.body);
    const type = body.string('type', { nonEmpty: true });
    const businessId = body.string('business_id') ?? state.demoBusinessId;
    const objectIds = body.stringArray('object_ids');
    const count = body.integer('count', 1, MAX_TEST_EVENTS);
    body.rejectUnknown();
    if (type === undefined || !isRampWebhookEventType(type)) throw new ControlError(400, `type must be one of ${RAMP_WEBHOOK_EVENT_TYPES.join(', ')}`);
    if (!isUuid(businessId)) throw new ControlError(400, 'business_id must be a UUID');
    if (objectIds !== undefined && count !== undefined) throw new ControlError(400, 'Give object_ids or count, not both');
    const ids = objectIds ?? Array.from({ length: count ?? 1 }, () => newUuid());
    if (ids.length > MAX_TEST_EVENTS) throw new ControlError(400, `At most ${MAX_TEST_EVENTS} events at once`);
    const now = state.clock.now();
    const eventIds = ids.map((objectId) => hooks.publish(businessId.toLowerCase(), type, objectId, now));
    return reply.code(201).send({ event_ids: eventIds, object_ids: ids });
  });
}
