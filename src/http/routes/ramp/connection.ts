/**
 * @module `GET /api/v1/ramp/status`, `DELETE /api/v1/ramp/connection`, `GET/PUT /api/v1/ramp/sync-config`.
 * Disconnect (`ConnectService.disconnect`) seals the connection, revokes the tokens at Ramp, then
 * deletes the secrets; when Ramp fails or does not answer, the grant stays sealed as `revoke_pending`
 * and is retried. The outcome (`revoked`, `pending`, `failed`) is in the `x-ramp-revocation` header and
 * the audit log, whose row commits with the delete.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { auditRequest } from '../../audit-hook.ts';
import type { ConnectServices } from '../../../connections/connect-services.ts';
import { ConnectService } from '../../../connections/connect-service.ts';
import { ConnectionView } from '../../../connections/connection-view.ts';
import { SyncConfigUpdate, SyncConfigView, getSyncConfig, updateSyncConfig } from '../../../connections/sync-config.ts';
import { authOf } from '../../auth.ts';
import { BusinessHeaders, errorResponses } from '../../../core/schemas.ts';

export function connectionRoutes(app: FastifyInstance, s: ConnectServices): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { ctx } = s;
  const service = new ConnectService(s);

  api.get(
    '/api/v1/ramp/status',
    {
      config: { auth: { kind: 'business', minRole: 'viewer' } },
      schema: { tags: ['ramp'], summary: 'Connection health, transaction count and last sync', headers: BusinessHeaders, response: { 200: ConnectionView, ...errorResponses(400, 401, 403) } },
    },
    async (request) => service.status(authOf(request).businessId),
  );

  app.delete(
    '/api/v1/ramp/connection',
    {
      config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'disconnect' },
      schema: { tags: ['ramp'], summary: 'Disconnect Ramp (revokes the tokens at Ramp, then deletes them)', headers: BusinessHeaders, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 503) } },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const { revoked, pending } = await service.disconnect(auth.businessId, ({ row, revoked, reason, pending: kept }, db) =>
        auditRequest(
          db,
          request,
          {
            outcome: revoked ? 'success' : 'partial',
            target: `connection_id=${row.id}`,
            detail: revoked ? 'revoked at Ramp and deleted' : kept ? `revoke_pending: Ramp revocation failed (${reason}); will retry` : `deleted locally; Ramp revocation failed: ${reason}`,
          },
          ctx.now(),
        ),
      );
      return reply.code(204).header('x-ramp-revocation', revoked ? 'revoked' : pending ? 'pending' : 'failed').send();
    },
  );

  api.get(
    '/api/v1/ramp/sync-config',
    {
      config: { auth: { kind: 'business', minRole: 'member' } },
      schema: { tags: ['ramp'], summary: 'Get the Ramp sync configuration', headers: BusinessHeaders, response: { 200: SyncConfigView, ...errorResponses(400, 401, 403) } },
    },
    async (request) => getSyncConfig(ctx.db.kysely, authOf(request).businessId),
  );

  api.put(
    '/api/v1/ramp/sync-config',
    {
      config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'sync_config.update' },
      schema: {
        tags: ['ramp'],
        summary: 'Update the Ramp sync configuration (partial update)',
        headers: BusinessHeaders,
        body: SyncConfigUpdate,
        response: { 200: SyncConfigView, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => updateSyncConfig(ctx.db.kysely, authOf(request).businessId, request.body, ctx.now()),
  );
}
