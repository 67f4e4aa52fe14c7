/**
 * @module `GET /api/v1/ramp/{resource}` (any member), one route per resource of the table
 * (src/ramp/resource-descriptors.ts): synced records, newest first, with the product's cursor
 * pagination (`limit` 1–1000, default 50, `cursor` → `{items, next_cursor, has_more}`), the date
 * filters, `include_deleted`, and the resource's own filters. Money is integer minor units plus
 * currency (`amount_cents`, `currency`), converted exactly from whichever form Ramp sent. A page of
 * statements may hold fewer than `limit` with `has_more` (records-query.ts `MAX_SPLICED_PAGE_CHARS`).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app-context.ts';
import type { RouteModule } from '../../app.ts';
import { authOf } from '../../auth.ts';
import { RECORD_CURSOR, decodeCursor, pageFrom } from '../../../core/pagination.ts';
import { BusinessHeaders, Page, errorResponses } from '../../../core/schemas.ts';
import { RAMP_RESOURCES } from '../../../ramp/resource-descriptors.ts';
import { timeOf } from '../../../sync/record-projection.ts';
import { listRecords, recordView, type RecordFilters } from '../../../sync/records-query.ts';
import { RampRecord, recordsQueryFor, type RecordsQuery } from './schemas.ts';

/** Every resource of the table has its read route. */
export const READABLE_RESOURCES: readonly string[] = RAMP_RESOURCES.map((d) => d.resource);

const DAY_MS = 86_400_000;

/** ISO date or date-time, UTC when it has no offset (as Ramp's dates, docs/ramp-behaviour.md#money-and-dates); a bare `to_date` means the whole day. */
function bound(value: string | undefined, end: boolean): number | undefined {
  if (value === undefined) return undefined;
  const ms = timeOf(value.length === 16 ? `${value}:00` : value);
  return end && value.length === 10 ? ms + DAY_MS - 1 : ms;
}

export function filtersOf(query: RecordsQuery): RecordFilters {
  const from = bound(query.from_date, false);
  const to = bound(query.to_date, true);
  return {
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(query.state !== undefined ? { state: query.state } : {}),
    ...(query.user_id !== undefined ? { userId: query.user_id } : {}),
    ...(query.card_id !== undefined ? { cardId: query.card_id } : {}),
    ...(query.transaction_id !== undefined ? { transactionId: query.transaction_id } : {}),
    ...(query.reimbursement_id !== undefined ? { reimbursementId: query.reimbursement_id } : {}),
    ...(query.include_deleted ? { includeDeleted: true } : {}),
  };
}

export function recordRoutes(): RouteModule {
  return (app: FastifyInstance, ctx: AppContext) => {
    for (const { resource, readFilters } of RAMP_RESOURCES) {
      app.get<{ Querystring: RecordsQuery }>(
        `/api/v1/ramp/${resource}`,
        {
          config: { auth: { kind: 'business', minRole: 'viewer' } },
          schema: {
            tags: ['ramp'],
            summary: `Synced Ramp ${resource.replace('-', ' ')}`,
            querystring: recordsQueryFor(readFilters),
            headers: BusinessHeaders,
            response: { 200: Page(RampRecord), ...errorResponses(400, 401, 403, 422) },
          },
        },
        async (request) => {
          const limit = request.query.limit ?? 50;
          const { rows, hasMore } = await listRecords(ctx.db.kysely, { businessId: authOf(request).businessId, resource, filters: filtersOf(request.query), limit, after: decodeCursor(request.query.cursor, RECORD_CURSOR) });
          const page = pageFrom(rows, hasMore, (row) => ({ key: row.occurred_at, id: row.id }));
          return { ...page, items: page.items.map((row) => recordView(resource, row)) };
        },
      );
    }
  };
}
