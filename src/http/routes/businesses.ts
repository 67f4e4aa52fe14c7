/** @module `GET/POST /api/v1/businesses`: the businesses the token's user belongs to; creating one makes the user its owner. */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { AppContext } from '../../app-context.ts';
import { createBusiness, listBusinessesForUser, toBusinessView } from '../../tenancy/tenancy-repo.ts';
import { authOf } from '../auth.ts';
import { Page, PaginationQuery, errorResponses } from '../../core/schemas.ts';
import { BUSINESS_CURSOR, decodeCursor, pageOf } from '../../core/pagination.ts';

const Business = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    default_currency: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
    role: Type.Optional(Type.String()),
  },
  { $id: 'BusinessResponse' },
);

const CreateBusiness = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    default_currency: Type.Optional(Type.Union(['USD', 'CAD', 'AUD', 'EUR', 'GBP'].map((c) => Type.Literal(c)))),
  },
  { $id: 'BusinessCreate' },
);

/** The product's `SuccessEnvelope_BusinessResponse_` (its `code` is not documented; not sent). */
const BusinessCreated = Type.Object({ success: Type.Boolean(), message: Type.String(), data: Business }, { $id: 'SuccessEnvelope_BusinessResponse_' });

const ListQuery = Type.Object({ ...PaginationQuery });

export function businessRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/businesses',
    {
      config: { auth: { kind: 'user' } },
      schema: { tags: ['businesses'], summary: 'List your businesses', querystring: ListQuery, response: { 200: Page(Business), ...errorResponses(401, 422) } },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = decodeCursor(request.query.cursor, BUSINESS_CURSOR);
      const all = await listBusinessesForUser(ctx.db.kysely, authOf(request).userId);
      const start = after ? all.findIndex((b) => b.id === after.id) + 1 : 0;
      return pageOf(all.slice(start, start + limit + 1), limit, (b) => ({ key: b.created_at, id: b.id }));
    },
  );

  app.post<{ Body: Static<typeof CreateBusiness> }>(
    '/api/v1/businesses',
    {
      config: { auth: { kind: 'user' }, auditAction: 'business.create' },
      schema: {
        tags: ['businesses'],
        summary: 'Create a business (you become its owner)',
        body: CreateBusiness,
        response: { 201: BusinessCreated, ...errorResponses(401, 422) },
      },
    },
    async (request, reply) => {
      const row = await createBusiness(ctx.db.kysely, {
        name: request.body.name,
        ownerUserId: authOf(request).userId,
        ...(request.body.default_currency ? { defaultCurrency: request.body.default_currency } : {}),
      });
      // The product wraps this response in its SuccessEnvelope (docs/ramp-behaviour.md#product-api).
      return reply.code(201).send({ success: true, message: 'Business created', data: toBusinessView(row, 'owner') });
    },
  );
}
