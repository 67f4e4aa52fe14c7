/** @module `GET /api/v1/webhooks/{webhook_id}/deliveries`: an endpoint's delivery log, newest first (owner, admin). */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { listDeliveries } from '../../../events/event-log.ts';
import { authOf } from '../../auth.ts';
import { ApiError } from '../../../core/errors.ts';
import { CREATED_AT_CURSOR, decodeCursor, pageOf } from '../../../core/pagination.ts';
import { BusinessHeaders, Page, PaginationQuery, errorResponses } from '../../../core/schemas.ts';
import type { WebhookServices } from './services.ts';
import { WebhookDeliveryView, WebhookIdParams, toDeliveryView } from './webhook-schemas.ts';

const ListQuery = Type.Object(PaginationQuery);

export function webhookDeliveryRoutes(app: FastifyInstance, s: WebhookServices): void {
  const { ctx, store } = s;

  app.get<{ Params: Static<typeof WebhookIdParams>; Querystring: Static<typeof ListQuery> }>(
    '/api/v1/webhooks/:webhook_id/deliveries',
    {
      config: { auth: { kind: 'business', minRole: 'admin' } },
      schema: {
        tags: ['webhooks'],
        summary: "A webhook endpoint's delivery log: status, attempts, last error, newest first",
        headers: BusinessHeaders,
        params: WebhookIdParams,
        querystring: ListQuery,
        response: { 200: Page(WebhookDeliveryView), ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const { businessId } = authOf(request);
      const endpointId = request.params.webhook_id;
      // Another business's endpoint is "not found", never "forbidden": its existence must not leak.
      if (!(await store.find(businessId, endpointId))) throw new ApiError('not_found', 'Webhook endpoint not found');
      const limit = request.query.limit ?? 50;
      const rows = await listDeliveries(ctx.db.kysely, businessId, endpointId, { limit, cursor: decodeCursor(request.query.cursor, CREATED_AT_CURSOR) });
      const page = pageOf(rows, limit, (d) => ({ key: d.createdAt, id: d.id }));
      return { ...page, items: page.items.map(toDeliveryView) };
    },
  );
}
