/**
 * @module Ramp's webhook subscription API of one environment (`/developer/v1/webhooks…`).
 *
 * Shapes are developer-api.json's: 201 `OutboundWebhookSubscriptionWithSecretResource` (the only
 * answer carrying the secret), a bare array for the list, `OutboundWebhookSubscriptionResource` by
 * id, 204 on delete, `SimpleSuccess` on verify. The routes themselves need only a valid token; each
 * event type needs its resource's read scope (403 `DEVELOPER_7100` naming every missing scope). A
 * path id that is not a UUID does not match Ramp's `<uuid:…>` route, hence Flask's HTML 404; an
 * unknown id or another tenant's is a JSON 404.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RAMP_ERROR_CODES, RampApiError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { authorizeResourceRequest } from '../resources/bearer-auth.ts';
import type { EnvironmentRouteContext } from '../route-context.ts';
import { missingScopesFor } from './event-types.ts';
import { parseCreateSubscriptionBody, parseVerifyBody } from './subscription-request.ts';
import { subscriptionResource, subscriptionResourceWithSecret, type SubscriptionOwner, type WebhookSubscriptionRecord } from './subscriptions.ts';

type IdRequest = FastifyRequest<{ Params: { webhook_id: string } }>;

export function registerWebhookSubscriptionRoutes(app: FastifyInstance, context: EnvironmentRouteContext): void {
  const { state, environment } = context;
  const hooks = state.rampWebhooks;

  const ownerOf = (request: FastifyRequest): SubscriptionOwner => {
    const token = authorizeResourceRequest(request, state, environment, null);
    return { clientId: token.clientId, businessId: token.businessId, environment };
  };

  /** The caller's subscription, or null after sending the answer for a bad or unknown id. */
  const subscriptionFor = (request: IdRequest, reply: FastifyReply): { owner: SubscriptionOwner; subscription: WebhookSubscriptionRecord } | null => {
    if (!isUuid(request.params.webhook_id)) {
      reply.callNotFound();
      return null;
    }
    const owner = ownerOf(request);
    const subscription = hooks.subscriptions.find(owner, request.params.webhook_id);
    if (!subscription) throw new RampApiError(404, RAMP_ERROR_CODES.notFound, `No webhook subscription with id ${request.params.webhook_id}`);
    return { owner, subscription };
  };

  app.post('/developer/v1/webhooks', async (request, reply) => {
    const token = authorizeResourceRequest(request, state, environment, null);
    const body = parseCreateSubscriptionBody(request.body, { allowHttpLoopback: hooks.config.allow_http_loopback });
    const missing = missingScopesFor(body.eventTypes, token.scopes);
    if (missing.length > 0) throw new RampApiError(403, RAMP_ERROR_CODES.missingScope, `These scopes are not allowed for this token: ${missing.join(', ')}`);
    const subscription = hooks.create({ clientId: token.clientId, businessId: token.businessId, environment }, body);
    return reply.code(201).send(subscriptionResourceWithSecret(subscription, { businessId: hooks.config.create_answer_business_id }));
  });

  app.get('/developer/v1/webhooks', async (request) => hooks.subscriptions.listFor(ownerOf(request)).map(subscriptionResource));

  app.get('/developer/v1/webhooks/:webhook_id', async (request: IdRequest, reply) => {
    const found = subscriptionFor(request, reply);
    return found ? subscriptionResource(found.subscription) : reply;
  });

  app.delete('/developer/v1/webhooks/:webhook_id', async (request: IdRequest, reply) => {
    const found = subscriptionFor(request, reply);
    if (!found) return reply;
    hooks.delete(found.subscription.id);
    return reply.code(204).send();
  });

  app.post('/developer/v1/webhooks/:webhook_id/verify', async (request: IdRequest, reply) => {
    const found = subscriptionFor(request, reply);
    if (!found) return reply;
    const { challenge } = parseVerifyBody(request.body);
    const outcome = hooks.subscriptions.verify(found.subscription, challenge, state.clock.now());
    if (outcome === 'wrong_challenge') throw new RampApiError(400, RAMP_ERROR_CODES.invalidInput, 'The challenge does not match this webhook subscription');
    if (outcome === 'inactive') throw new RampApiError(400, RAMP_ERROR_CODES.invalidInput, 'This webhook subscription is inactive');
    return { success: true };
  });
}
