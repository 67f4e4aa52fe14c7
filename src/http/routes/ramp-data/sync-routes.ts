/**
 * @module `POST /api/v1/ramp/sync` (owner/admin): queue a sync → 202 `{sync_id, status}` (the sync
 * already queued or running is returned instead of a second one), or at once 404 `ramp_not_connected`
 * / 409 `reauthorization_required` when the business's connection cannot give a token (as the proxy
 * and the token route answer); `GET /api/v1/ramp/syncs/{id}` (any member): the sync and its progress.
 * Another business's sync id is a 404, like an unknown one.
 * A manual sync runs even with `sync_enabled: false` (someone asked for it); that switch stops the
 * automatic and webhook-triggered ones.
 */
import type { FastifyInstance } from 'fastify';
import type { RouteModule } from '../../app.ts';
import { authOf } from '../../auth.ts';
import { ApiError } from '../../../core/errors.ts';
import { BusinessHeaders, errorResponses, IdempotentBusinessHeaders } from '../../../core/schemas.ts';
import type { SyncService } from '../../../sync/sync-service.ts';
import { syncView } from '../../../sync/sync-view.ts';
import { SyncAccepted, SyncIdParams, SyncView } from './schemas.ts';

export function syncRoutes(service: SyncService): RouteModule {
  return (app: FastifyInstance) => {
    app.post(
      '/api/v1/ramp/sync',
      {
        config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'sync.start', idempotent: true },
        schema: {
          tags: ['ramp'],
          summary: 'Start a sync of Ramp data',
          headers: IdempotentBusinessHeaders,
          response: { 202: SyncAccepted, ...errorResponses(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        const { sync } = await service.requestSync(authOf(request).businessId, 'manual');
        return reply.code(202).send({ sync_id: sync.id, status: sync.status });
      },
    );

    app.get<{ Params: SyncIdParams }>(
      '/api/v1/ramp/syncs/:id',
      {
        config: { auth: { kind: 'business', minRole: 'viewer' } },
        schema: {
          tags: ['ramp'],
          summary: 'A sync and its progress',
          params: SyncIdParams,
          headers: BusinessHeaders,
          response: { 200: SyncView, ...errorResponses(400, 401, 403, 404, 422) },
        },
      },
      async (request) => {
        const row = await service.getSync(authOf(request).businessId, request.params.id);
        if (!row) throw new ApiError('sync_not_found');
        return syncView(row);
      },
    );
  };
}
