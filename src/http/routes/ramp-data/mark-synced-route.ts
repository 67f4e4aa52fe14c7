/**
 * @module `POST /api/v1/ramp/accounting/mark-synced` (owner/admin): the product's
 * `RampMarkSyncedRequest {sync_type, object_ids}` (docs/ramp-behaviour.md#product-api), extended with
 * `successes` (with the books' reference of each) and `failures` (with a message each). Sent to Ramp's
 * `accounting/syncs` in batches of ≤ 5,000 with a stable idempotency key per batch
 * (src/accounting/ready-status-back.ts), so a retried request never records anything twice.
 * 201 with the counts and each batch's Ramp sync id and key.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { RouteModule } from '../../app.ts';
import { authOf } from '../../auth.ts';
import { RequestValidationError, type ValidationIssue } from '../../../core/errors.ts';
import { errorResponses, IdempotentBusinessHeaders } from '../../../core/schemas.ts';
import type { Database } from '../../../db/schema.ts';
import type { RampClient } from '../../../ramp/ramp-client.ts';
import { reportSyncStatus, type StatusBackRequest } from '../../../accounting/ready-status-back.ts';
import { MarkSyncedBody, MarkSyncedResult } from './schemas.ts';

export { markSyncedIdempotencyKey } from '../../../accounting/ready-status-back.ts';

/** The body as the service's request; every problem the schema cannot see, listed at once (FastAPI's 422). */
function statusRequestOf(body: MarkSyncedBody): StatusBackRequest {
  const successes = [
    ...(body.object_ids ?? []).map((id) => ({ id, referenceId: id })),
    ...(body.successes ?? []).map((item) => ({ id: item.object_id, referenceId: item.reference_id })),
  ];
  const failures = (body.failures ?? []).map((item) => ({ id: item.object_id, message: item.message }));
  const issues: ValidationIssue[] = [];
  if (successes.length === 0 && failures.length === 0) {
    issues.push({ type: 'missing', loc: ['body', 'object_ids'], msg: 'Field required: give object_ids, successes or failures', input: body });
  }
  const succeeded = new Set(successes.map((item) => item.id));
  (body.failures ?? []).forEach((item, index) => {
    if (succeeded.has(item.object_id)) {
      issues.push({ type: 'value_error', loc: ['body', 'failures', index, 'object_id'], msg: 'Value error, this object is also reported as a success', input: item.object_id });
    }
  });
  if (issues.length > 0) throw new RequestValidationError(issues);
  return { syncType: body.sync_type, successes, failures };
}

export function markSyncedRoute(client: RampClient, db: Kysely<Database>, now: () => number): RouteModule {
  return (app: FastifyInstance) => {
    app.post<{ Body: MarkSyncedBody }>(
      '/api/v1/ramp/accounting/mark-synced',
      {
        config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'accounting.mark_synced', idempotent: true },
        schema: {
          tags: ['ramp'],
          summary: 'Tell Ramp which objects were posted to the books and which failed',
          headers: IdempotentBusinessHeaders,
          body: MarkSyncedBody,
          response: { 201: MarkSyncedResult, ...errorResponses(400, 401, 403, 409, 422, 429, 502, 504) },
        },
      },
      async (request, reply) => {
        const result = await reportSyncStatus({ db, client, now }, authOf(request).businessId, statusRequestOf(request.body));
        return reply.code(201).send(result);
      },
    );
  };
}
