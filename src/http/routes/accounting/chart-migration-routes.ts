/**
 * @module Moving a business's chart to a new accounting connection (docs/guarantees.md#chart-of-accounts):
 * - `POST /api/v1/ramp/accounting/chart/backups` (owner/admin): stores the chart Ramp holds for the
 *   active connection → 201 with the backup's id and size.
 * - `POST /api/v1/ramp/accounting/migrations` (owner/admin) `{backup_id, remote_provider_name}` →
 *   202 with a job that disconnects the backed-up connection, creates the new one and uploads the
 *   backup. Refused (409 `chart_backup_required`) without a backup of the active connection.
 */
import type { FastifyInstance } from 'fastify';
import type { ChartService } from '../../../accounting/chart-service.ts';
import { heldCounts } from '../../../accounting/chart-model.ts';
import { errorResponses, IdempotentBusinessHeaders } from '../../../core/schemas.ts';
import type { RouteModule } from '../../app.ts';
import { authOf } from '../../auth.ts';
import { chartJobView } from './chart-job-view.ts';
import { ChartBackupView, ChartJobView, MigrationBody } from './chart-schemas.ts';

export function chartMigrationRoutes(service: ChartService): RouteModule {
  return (app: FastifyInstance) => {
    app.post(
      '/api/v1/ramp/accounting/chart/backups',
      {
        config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'accounting.chart.backup', idempotent: true },
        schema: { tags: ['ramp'], summary: 'Back up the chart of accounts Ramp holds', headers: IdempotentBusinessHeaders, response: { 201: ChartBackupView, ...errorResponses(400, 401, 403, 404, 409, 429, 502, 504) } },
      },
      async (request, reply) => {
        const { backup, chart } = await service.backup(authOf(request).businessId);
        return reply.code(201).send({
          backup_id: backup.id,
          connection_id: backup.connection_id,
          remote_provider_name: backup.remote_provider_name,
          counts: heldCounts(chart),
          created_at: new Date(Number(backup.created_at)).toISOString(),
        });
      },
    );

    app.post<{ Body: MigrationBody }>(
      '/api/v1/ramp/accounting/migrations',
      {
        config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'accounting.migration.start', idempotent: true },
        schema: {
          tags: ['ramp'],
          summary: 'Move the chart of accounts to a new accounting connection',
          headers: IdempotentBusinessHeaders,
          body: MigrationBody,
          response: { 202: ChartJobView, ...errorResponses(400, 401, 403, 404, 409, 422, 429, 502, 504) },
        },
      },
      async (request, reply) => {
        const job = await service.requestMigration(authOf(request).businessId, request.body.backup_id, request.body.remote_provider_name);
        return reply.code(202).send(chartJobView(job));
      },
    );
  };
}
