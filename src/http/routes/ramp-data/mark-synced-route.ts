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
import type { ValidationIssue } from '../../../core/errors.ts';
import type { Validators } from '../../validation/pydantic-validator.ts';
import { errorResponses, IdempotentBusinessHeaders } from '../../../core/schemas.ts';
import type { Database } from '../../../db/schema.ts';
import type { RampClient } from '../../../ramp/ramp-client.ts';
import { reportSyncStatus, type StatusBackRequest } from '../../../accounting/ready-status-back.ts';
import { MARK_SYNCED_BODY_LIMIT, MarkSyncedBody, MarkSyncedResult } from './schemas.ts';

export { markSyncedIdempotencyKey } from '../../../accounting/ready-status-back.ts';

/** The body as the service's request (`MARK_SYNCED_VALIDATORS` has refused what the schema cannot see). */
function statusRequestOf(body: MarkSyncedBody): StatusBackRequest {
  const successes = [
    ...(body.object_ids ?? []).map((id) => ({ id, referenceId: id })),
    ...(body.successes ?? []).map((item) => ({ id: item.object_id, referenceId: item.reference_id })),
  ];
  const failures = (body.failures ?? []).map((item) => ({ id: item.object_id, message: item.message }));
  return { syncType: body.sync_type, successes, failures };
}

/**
 * Cross-field rules, so a model validator: they run only once every field of the body is valid (and are
 * then reported with any header problem, in one 422). Something to report is required, and no object
 * may be both a success and a failure.
 */
function crossFieldProblems(body: MarkSyncedBody, loc: (string | number)[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const succeeded = new Set([...(body.object_ids ?? []), ...(body.successes ?? []).map((item) => item.object_id)]);
  if (succeeded.size === 0 && (body.failures ?? []).length === 0) {
    issues.push({ type: 'missing', loc: [...loc, 'object_ids'], msg: 'Field required: give object_ids, successes or failures', input: body });
  }
  (body.failures ?? []).forEach((item, index) => {
    if (succeeded.has(item.object_id)) {
      issues.push({ type: 'value_error', loc: [...loc, 'failures', index, 'object_id'], msg: 'Value error, this object is also reported as a success', input: item.object_id, ctx: { error: {} } });
    }
  });
  return issues;
}

const MARK_SYNCED_VALIDATORS: Validators = { models: { '': crossFieldProblems } };

export function markSyncedRoute(client: RampClient, db: Kysely<Database>, now: () => number): RouteModule {
  return (app: FastifyInstance) => {
    app.post<{ Body: MarkSyncedBody }>(
      '/api/v1/ramp/accounting/mark-synced',
      {
        bodyLimit: MARK_SYNCED_BODY_LIMIT,
        config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'accounting.mark_synced', idempotent: true, bodyValidators: MARK_SYNCED_VALIDATORS },
        schema: {
          tags: ['ramp'],
          summary: 'Tell Ramp which objects were posted to the books and which failed',
          headers: IdempotentBusinessHeaders,
          body: MarkSyncedBody,
          response: { 201: MarkSyncedResult, ...errorResponses(400, 401, 403, 404, 409, 422, 429, 502, 504) },
        },
      },
      async (request, reply) => {
        const result = await reportSyncStatus({ db, client, now }, authOf(request).businessId, statusRequestOf(request.body));
        return reply.code(201).send(result);
      },
    );
  };
}
