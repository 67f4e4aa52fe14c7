/**
 * @module `POST /api/v1/ramp/webhooks` (Ramp, unauthenticated): verifies the signature and age
 * (src/sync/webhook-verification.ts), then schedules an incremental sync for every business connected
 * to the event's Ramp business. An event for a Ramp business we do not know is accepted and ignored
 * (202): Ramp retries 5xx and 429 only (docs/ramp-behaviour.md#webhooks), so refusing would just be noise.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app-context.ts';
import type { RouteModule } from '../../app.ts';
import { ApiError } from '../../../core/errors.ts';
import { errorResponses } from '../../../core/schemas.ts';
import type { SyncService } from '../../../sync/sync-service.ts';
import { verifyWebhook } from '../../../sync/webhook-verification.ts';
import { WebhookAccepted } from './schemas.ts';

export function webhooksRoute(service: SyncService, secret: string | undefined): RouteModule {
  return (app: FastifyInstance, ctx: AppContext) => {
    app.post(
      '/api/v1/ramp/webhooks',
      {
        schema: { tags: ['ramp'], summary: 'Ramp webhook receiver (signed with X-Ramp-Webhook-Signature)', response: { 202: WebhookAccepted, ...errorResponses(400, 401) } },
      },
      async (request, reply) => {
        const header = request.headers['x-ramp-webhook-signature'];
        const check = verifyWebhook(request.rawBody, typeof header === 'string' ? header : undefined, secret, ctx.now());
        if (!check.ok) {
          if (check.reason === 'bad_signature') throw new ApiError('invalid_webhook_signature');
          throw new ApiError('invalid_request', check.reason === 'stale' ? 'The webhook event is more than 5 minutes old (or dated in the future)' : 'The webhook body is not a Ramp event');
        }
        const scheduled = await service.syncForRampBusiness(check.event.business_id);
        request.log.info({ event_type: check.event.type, scheduled }, 'Ramp webhook accepted');
        return reply.code(202).send({ status: 'accepted', scheduled });
      },
    );
  };
}
