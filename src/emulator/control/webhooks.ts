/**
 * @module Control plane: webhook subscriptions (`/__emulator/webhooks`).
 *
 * Subscriptions are made here rather than through Ramp's `POST /developer/v1/webhooks` (which also
 * needs a verification round trip, B8) so tests can point the emulator at a local receiver directly.
 */
import type { FastifyInstance } from 'fastify';
import { ControlError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { EmulatorState } from '../state.ts';
import { ControlBody } from './body.ts';

export function registerWebhookControlRoutes(app: FastifyInstance, state: EmulatorState): void {
  app.post('/webhooks', async (request, reply) => {
    const body = new ControlBody(request.body);
    const url = body.string('url', { nonEmpty: true });
    const secret = body.string('secret', { nonEmpty: true });
    const eventTypes = body.stringArray('event_types');
    const businessId = body.string('business_id');
    body.rejectUnknown();
    if (url === undefined || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new ControlError(400, 'url must be an absolute http(s) URL');
    if (businessId !== undefined && !isUuid(businessId)) throw new ControlError(400, 'business_id must be a UUID');
    const subscription = state.webhooks.subscribe({ url, secret, eventTypes, businessId: businessId?.toLowerCase() }, state.clock.now());
    return reply.code(201).send({
      id: subscription.id,
      url: subscription.url,
      secret: subscription.secret,
      event_types: subscription.eventTypes ? [...subscription.eventTypes] : null,
      business_id: subscription.businessId,
      created_at: subscription.createdAt,
    });
  });

  app.get('/webhooks', async () => ({
    subscriptions: state.webhooks.subscriptions().map((subscription) => ({
      id: subscription.id,
      url: subscription.url,
      event_types: subscription.eventTypes ? [...subscription.eventTypes] : null,
      business_id: subscription.businessId,
    })),
    deliveries: state.webhooks.deliveries(),
  }));

  app.delete<{ Params: { id: string } }>('/webhooks/:id', async (request, reply) => {
    if (!state.webhooks.unsubscribe(request.params.id)) throw new ControlError(404, 'Unknown webhook subscription');
    return reply.code(204).send();
  });
}
