/**
 * @module `POST /api/v1/ramp/webhooks/{route_key}` (Ramp, unauthenticated): one endpoint per
 * subscription, so each event is checked with its own subscription's secret
 * (src/ramp-webhooks/event-receiver.ts). 2xx tells Ramp it is done; a 4xx makes Ramp drop it; a 503
 * (secret not stored yet, or the challenge could not be verified) makes Ramp send it again.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { RouteModule } from '../../app.ts';
import { ApiError, type ErrorCode } from '../../../core/errors.ts';
import { errorResponses } from '../../../core/schemas.ts';
import type { EventReceiver, ReceiveOutcome } from '../../../ramp-webhooks/event-receiver.ts';

const RampEventReceived = Type.Object({ status: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate'), Type.Literal('verified')]) });

const REFUSALS: Partial<Record<ReceiveOutcome, ErrorCode>> = {
  unknown_route: 'not_found',
  not_ready: 'webhook_not_ready',
  verify_failed: 'webhook_not_ready',
  bad_signature: 'invalid_webhook_signature',
  wrong_business: 'webhook_business_mismatch',
  malformed: 'invalid_request',
};

export function subscriptionWebhookRoute(receiver: EventReceiver): RouteModule {
  return (app: FastifyInstance) => {
    app.post<{ Params: { route_key: string } }>(
      '/api/v1/ramp/webhooks/:route_key',
      {
        schema: {
          tags: ['ramp'],
          summary: "Ramp webhook receiver of one subscription (made at connect; signed with that subscription's secret)",
          params: Type.Object({ route_key: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: { 200: RampEventReceived, ...errorResponses(400, 401, 403, 404, 503) },
        },
      },
      async (request, reply) => {
        const header = request.headers['x-ramp-webhook-signature'];
        const outcome = await receiver.receive(request.params.route_key, request.rawBody, typeof header === 'string' ? header : undefined);
        const refusal = REFUSALS[outcome];
        if (refusal) {
          request.log.info({ outcome }, 'Ramp webhook refused');
          throw new ApiError(refusal, outcome === 'malformed' ? 'The webhook body is not a Ramp event' : undefined);
        }
        return reply.code(200).send({ status: outcome as 'accepted' | 'duplicate' | 'verified' });
      },
    );
  };
}
