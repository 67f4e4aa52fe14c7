/**
 * @module `GET /api/v1/ramp/accounting/ready?type=…` (any member): what Ramp holds as ready to sync to
 * the books, of one kind, with its codings in the product's own ids and the last failure the product
 * reported for it (src/accounting/ready-feed.ts). Fed by every sync and every stored record; cursor
 * pagination like the read API (`limit` 1–1000, `cursor` → `{items, next_cursor, has_more}`); money
 * in integer minor units plus currency.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { AppContext } from '../../../app-context.ts';
import type { RouteModule } from '../../app.ts';
import { authOf } from '../../auth.ts';
import { RECORD_CURSOR, decodeCursor, pageOf } from '../../../core/pagination.ts';
import { BusinessHeaders, Nullable, Page, PaginationQuery, errorResponses } from '../../../core/schemas.ts';
import { listReady, readyItemView } from '../../../accounting/ready-feed.ts';
import { READY_TYPES, readyKindOfType } from '../../../accounting/ready-types.ts';

const ReadyQuery = Type.Object({
  type: Type.Union(READY_TYPES.map((value) => Type.Literal(value)), { description: 'The kind of object' }),
  ...PaginationQuery,
});
type ReadyQuery = Static<typeof ReadyQuery>;

const Text = Nullable(Type.String());

const CodingsSchema = {
  gl_account: Nullable(Type.Object({ id: Text, ramp_id: Text, name: Text }, { description: "`id` is the product's id of the GL account (Ramp's external_id)" })),
  fields: Type.Array(
    Type.Object({ field_id: Text, field_ramp_id: Text, field_name: Text, option_id: Text, option_ramp_id: Text, option_name: Text }),
    { description: "Custom-field options chosen; `field_id` and `option_id` are the product's ids" },
  ),
};

export const ReadyItem = Type.Object(
  {
    id: Type.String({ description: "Ramp's id of the object: the id mark-synced takes" }),
    type: Type.String(),
    sync_type: Type.String({ description: 'The sync_type to mark it with' }),
    amount_cents: Nullable(Type.Integer({ description: 'Integer minor units of `currency`' })),
    currency: Text,
    occurred_at: Nullable(Type.String({ format: 'date-time' })),
    codings: Type.Object({ ...CodingsSchema, line_items: Type.Array(Type.Object(CodingsSchema)) }),
    last_sync_failure: Nullable(Type.Object({ message: Type.String(), sync_type: Text, failed_at: Type.String({ format: 'date-time' }) })),
    record: Type.Object({ id: Type.String() }, { additionalProperties: true, description: "Ramp's object as synced (as the resource's read route shows it)" }),
  },
  { $id: 'RampReadyItem' },
);

export function readyFeedRoute(): RouteModule {
  return (app: FastifyInstance, ctx: AppContext) => {
    app.get<{ Querystring: ReadyQuery }>(
      '/api/v1/ramp/accounting/ready',
      {
        config: { auth: { kind: 'business', minRole: 'viewer' } },
        schema: {
          tags: ['ramp'],
          summary: 'Objects Ramp holds as ready to sync to the books, with their codings',
          querystring: ReadyQuery,
          headers: BusinessHeaders,
          response: { 200: Page(ReadyItem), ...errorResponses(400, 401, 403, 422) },
        },
      },
      async (request) => {
        const kind = readyKindOfType(request.query.type);
        const limit = request.query.limit ?? 50;
        const rows = await listReady(ctx.db.kysely, authOf(request).businessId, kind, limit, decodeCursor(request.query.cursor, RECORD_CURSOR));
        const page = pageOf(rows, limit, (row) => ({ key: row.occurred_at, id: row.id }));
        return { ...page, items: page.items.map((row) => readyItemView(kind, row)) };
      },
    );
  };
}
