/**
 * @module `POST/GET /api/v1/webhooks`, `DELETE /api/v1/webhooks/{webhook_id}`: a business's outbound
 * webhook endpoints (owner, admin). The signing secret appears once, in the 201 body, and nowhere else.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { auditRequest } from '../../audit-hook.ts';
import { authOf } from '../../auth.ts';
import { ApiError } from '../../../core/errors.ts';
import { CREATED_AT_CURSOR, decodeCursor, pageOf } from '../../../core/pagination.ts';
import { BusinessHeaders, Page, PaginationQuery, errorResponses } from '../../../core/schemas.ts';
import type { WebhookServices } from './services.ts';
import { WebhookEndpointCreate, WebhookEndpointCreated, WebhookEndpointView, WebhookIdParams, toEndpointView } from './webhook-schemas.ts';
import { checkWebhookUrl } from './webhook-url.ts';
import type { Validators } from '../../validation/pydantic-validator.ts';

const ListQuery = Type.Object(PaginationQuery);

/** The URL's checks (webhook-url.ts) as a field validator: reported with the body's other problems in one 422. */
function urlValidators(allowPrivateAddresses: boolean): Validators {
  return {
    fields: {
      url: (url: string, loc) => {
        const problem = checkWebhookUrl(url, loc, { allowPrivateAddresses });
        return problem ? [problem] : [];
      },
    },
  };
}
const TAGS = ['webhooks'];

export function webhookEndpointRoutes(app: FastifyInstance, s: WebhookServices): void {
  const { ctx, store } = s;

  app.post<{ Body: Static<typeof WebhookEndpointCreate> }>(
    '/api/v1/webhooks',
    {
      config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'webhook.create', bodyValidators: urlValidators(ctx.config.webhookAllowPrivateUrls) },
      schema: {
        tags: TAGS,
        summary: 'Register a webhook endpoint (its signing secret is shown once)',
        headers: BusinessHeaders,
        body: WebhookEndpointCreate,
        response: { 201: WebhookEndpointCreated, ...errorResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      // urlValidators accepted it: stored as the WHATWG parser writes it.
      const result = await store.create(auth.businessId, new URL(request.body.url).href, request.body.event_types ?? null);
      if ('limitReached' in result) throw new ApiError('webhook_limit_reached');
      const { created, secret } = result;
      await auditRequest(ctx.db.kysely, request, { outcome: 'success', target: `webhook_id=${created.id}`, detail: created.id }, ctx.now());
      return reply.code(201).header('cache-control', 'no-store').send({ ...toEndpointView(created), secret });
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/webhooks',
    {
      config: { auth: { kind: 'business', minRole: 'admin' } },
      schema: {
        tags: TAGS,
        summary: 'List webhook endpoints, newest first (no secrets)',
        headers: BusinessHeaders,
        querystring: ListQuery,
        response: { 200: Page(WebhookEndpointView), ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const rows = await store.list(authOf(request).businessId, limit, decodeCursor(request.query.cursor, CREATED_AT_CURSOR));
      const page = pageOf(rows, limit, (e) => ({ key: e.createdAt, id: e.id }));
      return { ...page, items: page.items.map(toEndpointView) };
    },
  );

  app.delete<{ Params: Static<typeof WebhookIdParams> }>(
    '/api/v1/webhooks/:webhook_id',
    {
      config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'webhook.delete' },
      schema: {
        tags: TAGS,
        summary: 'Delete a webhook endpoint (pending deliveries to it are dropped)',
        headers: BusinessHeaders,
        params: WebhookIdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      if (!(await store.delete(auth.businessId, request.params.webhook_id))) throw new ApiError('not_found', 'Webhook endpoint not found');
      await auditRequest(ctx.db.kysely, request, { outcome: 'success', detail: request.params.webhook_id }, ctx.now());
      return reply.code(204).send();
    },
  );
}
