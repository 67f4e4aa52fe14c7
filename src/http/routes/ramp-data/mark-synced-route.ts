/**
 * @module `POST /api/v1/ramp/accounting/mark-synced` (owner/admin): the product's
 * `RampMarkSyncedRequest {sync_type, object_ids}` (docs/ramp-behaviour.md#product-api), sent to Ramp as
 * `POST /developer/v1/accounting/syncs` (docs/ramp-behaviour.md#accounting-syncs) once, with an idempotency key derived from the
 * business, the sync type and the sorted ids — the same request always carries the same key, so a
 * caller's retry is replayed by Ramp rather than recorded twice. 201 with Ramp's answer.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { RouteModule } from '../../app.ts';
import { authOf } from '../../auth.ts';
import { errorResponses, IdempotentBusinessHeaders } from '../../../core/schemas.ts';
import type { RampClient } from '../../../ramp/ramp-client.ts';
import { MarkSyncedBody } from './schemas.ts';

export function markSyncedIdempotencyKey(businessId: string, syncType: string, objectIds: readonly string[]): string {
  const ids = [...new Set(objectIds)].sort();
  return createHash('sha256').update(JSON.stringify([businessId, syncType, ids])).digest('hex');
}

export function markSyncedRoute(client: RampClient): RouteModule {
  return (app: FastifyInstance) => {
    app.post<{ Body: MarkSyncedBody }>(
      '/api/v1/ramp/accounting/mark-synced',
      {
        config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'accounting.mark_synced', idempotent: true },
        schema: {
          tags: ['ramp'],
          summary: 'Notify Ramp that objects have been synced',
          headers: IdempotentBusinessHeaders,
          body: MarkSyncedBody,
          response: { 201: Type.Object({}, { additionalProperties: true }), ...errorResponses(400, 401, 403, 409, 422, 429, 502, 504) },
        },
      },
      async (request, reply) => {
        const businessId = authOf(request).businessId;
        const { sync_type: syncType, object_ids: objectIds } = request.body;
        const ids = [...new Set(objectIds)].sort();
        const answer = await client.createAccountingSync(businessId, {
          idempotency_key: markSyncedIdempotencyKey(businessId, syncType, ids),
          sync_type: syncType,
          // Our reference for each object is the object itself: the books key Ramp objects by Ramp id.
          successful_syncs: ids.map((id) => ({ id, reference_id: id })),
        });
        return reply.code(201).send(answer);
      },
    );
  };
}
