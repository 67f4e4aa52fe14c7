/**
 * @module `POST /api/v1/ramp/webhooks` (Ramp, unauthenticated), for a subscription made by hand:
 * verifies the signature and age (src/sync/webhook-verification.ts), then schedules an incremental sync
 * for every business connected to the event's Ramp business that has not had this event id before
 * (src/ramp-webhooks/event-log.ts). A repeat of an event (Ramp's retry, or a replay of the signed body)
 * and an event for a Ramp business we do not know are accepted and do nothing (202): Ramp retries
 * only 429 and 5xx and drops any other 4xx (docs/ramp-behaviour.md#webhooks), so refusing would just be noise.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app-context.ts';
import type { RouteModule } from '../../app.ts';
import { ApiError } from '../../../core/errors.ts';
import { errorResponses } from '../../../core/schemas.ts';
import { recordEvent } from '../../../ramp-webhooks/event-log.ts';
import type { SyncService } from '../../../sync/sync-service.ts';
import { MAX_EVENT_AGE_MS, MAX_EVENT_SKEW_MS, verifyWebhook } from '../../../sync/webhook-verification.ts';
import { WebhookAccepted } from './schemas.ts';

const STALE_DETAIL = `The webhook event is more than ${MAX_EVENT_AGE_MS / (24 * 3600_000)} days old (or dated more than ${MAX_EVENT_SKEW_MS / 60_000} minutes ahead)`;

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
          throw new ApiError('invalid_request', check.reason === 'stale' ? STALE_DETAIL : 'The webhook body is not a Ramp event');
        }
        const { event } = check;
        const { scheduled, repeated } = await service.syncForRampBusiness(event.business_id, (trx, businessId) =>
          recordEvent(trx, { businessId, event, now: ctx.now(), handling: 'sync_scheduled' }),
        );
        request.log.info({ event_type: event.type, scheduled, repeated }, 'Ramp webhook accepted');
        return reply.code(202).send({ status: 'accepted', scheduled });
      },
    );
  };
}
