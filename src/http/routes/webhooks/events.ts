/** @module `GET /api/v1/events`: the business's recent events, newest first, optionally of one type (owner, admin). */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { listEvents } from '../../../events/event-log.ts';
import { authOf } from '../../auth.ts';
import { CREATED_AT_CURSOR, decodeCursor, pageOf } from '../../../core/pagination.ts';
import { BusinessHeaders, Page, PaginationQuery, errorResponses } from '../../../core/schemas.ts';
import type { WebhookServices } from './services.ts';
import { EventTypeSchema, EventView, toEventView } from './webhook-schemas.ts';

const EventsQuery = Type.Object({ type: Type.Optional(EventTypeSchema), ...PaginationQuery });

export function eventRoutes(app: FastifyInstance, s: WebhookServices): void {
  const { ctx } = s;

  app.get<{ Querystring: Static<typeof EventsQuery> }>(
    '/api/v1/events',
    {
      config: { auth: { kind: 'business', minRole: 'admin' } },
      schema: {
        tags: ['webhooks'],
        summary: 'Recent events of the business (the payloads webhooks deliver), newest first',
        headers: BusinessHeaders,
        querystring: EventsQuery,
        response: { 200: Page(EventView), ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const rows = await listEvents(ctx.db.kysely, authOf(request).businessId, { limit, cursor: decodeCursor(request.query.cursor, CREATED_AT_CURSOR) }, request.query.type);
      const page = pageOf(rows, limit, (e) => ({ key: e.createdAt, id: e.id }));
      return { ...page, items: page.items.map(toEventView) };
    },
  );
}
