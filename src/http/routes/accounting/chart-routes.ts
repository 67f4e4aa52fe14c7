/**
 * @module The chart of accounts, product side (docs/guarantees.md#chart-of-accounts):
 * - `PUT /api/v1/ramp/accounting/chart` (owner/admin): the whole chart the product wants → 202 with
 *   a job that writes only the difference to Ramp (creates in batches of ≤ 500, updates, deletes);
 *   409 at once when the accounting connection is missing or direct (read-only).
 * - `GET /api/v1/ramp/accounting/chart` (member+): the chart as Ramp holds it now.
 * - `GET /api/v1/ramp/accounting/chart/jobs/{id}` (viewer+): a job and its progress.
 */
import type { FastifyInstance } from 'fastify';
import type { ChartService } from '../../../accounting/chart-service.ts';
import { heldCounts } from '../../../accounting/chart-model.ts';
import { ApiError, type ValidationIssue } from '../../../core/errors.ts';
import { BusinessHeaders, errorResponses, IdempotentBusinessHeaders } from '../../../core/schemas.ts';
import type { RouteModule } from '../../app.ts';
import { authOf } from '../../auth.ts';
import type { Validators } from '../../validation/pydantic-validator.ts';
import { chartJobView } from './chart-job-view.ts';
import { ChartJobIdParams, ChartJobView, DesiredChartBody, HeldChartView } from './chart-schemas.ts';

/** A chart of 50,000 objects is a few MB of JSON. */
const CHART_BODY_LIMIT = 16 * 1024 * 1024;

/**
 * An id used twice within its kind (Ramp would refuse the batch): a field validator of each list, so it
 * is reported with the body's other problems in one 422 (it runs once the list itself is valid). Each
 * repeat is named at its own `id`, where pydantic would name the list once.
 */
function uniqueIds(items: readonly { id: string }[], loc: (string | number)[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (seen.has(item.id)) issues.push({ type: 'value_error', loc: [...loc, index, 'id'], msg: `Value error, id "${item.id}" appears more than once`, input: item.id, ctx: { error: {} } });
    seen.add(item.id);
  });
  return issues;
}

const CHART_VALIDATORS: Validators = {
  fields: { gl_accounts: uniqueIds, vendors: uniqueIds, custom_fields: uniqueIds, 'custom_fields.*.options': uniqueIds },
};

export function chartRoutes(service: ChartService): RouteModule {
  return (app: FastifyInstance) => {
    app.put<{ Body: DesiredChartBody }>(
      '/api/v1/ramp/accounting/chart',
      {
        bodyLimit: CHART_BODY_LIMIT,
        config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'accounting.chart.put', idempotent: true, bodyValidators: CHART_VALIDATORS },
        schema: {
          tags: ['ramp'],
          summary: "Make Ramp's chart of accounts equal to this one (only the difference is written)",
          headers: IdempotentBusinessHeaders,
          body: DesiredChartBody,
          response: { 202: ChartJobView, ...errorResponses(400, 401, 403, 404, 409, 422, 429, 502, 504) },
        },
      },
      async (request, reply) => {
        const job = await service.requestUpload(authOf(request).businessId, request.body);
        return reply.code(202).send(chartJobView(job));
      },
    );

    app.get(
      '/api/v1/ramp/accounting/chart',
      {
        config: { auth: { kind: 'business', minRole: 'member' } },
        schema: { tags: ['ramp'], summary: 'The chart of accounts as Ramp holds it', headers: BusinessHeaders, response: { 200: HeldChartView, ...errorResponses(400, 401, 403, 404, 409, 429, 502, 504) } },
      },
      async (request) => {
        const { connection, chart } = await service.chart(authOf(request).businessId);
        return { connection, counts: heldCounts(chart), ...chart };
      },
    );

    app.get<{ Params: ChartJobIdParams }>(
      '/api/v1/ramp/accounting/chart/jobs/:id',
      {
        config: { auth: { kind: 'business', minRole: 'viewer' } },
        schema: { tags: ['ramp'], summary: 'A chart-of-accounts job and its progress', params: ChartJobIdParams, headers: BusinessHeaders, response: { 200: ChartJobView, ...errorResponses(400, 401, 403, 404, 422) } },
      },
      async (request) => {
        const row = await service.getJob(authOf(request).businessId, request.params.id);
        if (!row) throw new ApiError('chart_job_not_found');
        return chartJobView(row);
      },
    );
  };
}
