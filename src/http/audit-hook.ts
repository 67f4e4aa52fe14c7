/**
 * @module One audit row per mutating API call (docs/guarantees.md#g35): every POST, PUT, PATCH and
 * DELETE on an authenticated route, and every call of a public GET that changes state (`config.mutates`:
 * the OAuth launch and callback), writes exactly one row — API token, business, action, target,
 * request id, outcome — whatever the answer, validation 422s and refusals included.
 * - A handler with more to say writes its row itself with `auditRequest` (connect, disconnect, webhook
 *   endpoints); the hook then writes nothing for that request.
 * - A refused caller (403: another tenant's business, a role too low) is written by the auth hook with
 *   `auditDenial`, on any route: a GET has no row of its own.
 * The hook is added per route, to mutating routes only, so the token hot path (a GET) pays nothing.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { audit, type AuditEntry } from '../audit/audit-log.ts';
import type { Database } from '../db/schema.ts';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_TARGET = 200;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The audit row's action for this route (default `METHOD /path`). */
    auditAction?: string;
    /** A GET that changes state (the OAuth launch and callback): audited like a POST, though public. */
    mutates?: boolean;
  }
  interface FastifyRequest {
    /** The handler wrote this request's audit row. */
    audited?: boolean;
  }
}

/** The route's ids as the row's target, e.g. `token_id=…`; a wildcard (the proxy's Ramp path) as `path=…`. */
function targetOf(params: unknown): string | null {
  const entries = Object.entries((params ?? {}) as Record<string, unknown>);
  return entries.length === 0 ? null : entries.map(([name, value]) => `${name === '*' ? 'path' : name}=${String(value)}`).join(' ').slice(0, MAX_TARGET);
}

function actionOf(request: FastifyRequest): string {
  return request.routeOptions.config?.auditAction ?? `${request.method} ${request.routeOptions.url ?? request.url}`;
}

/** The row for this request: business and token from `auth`, action from the route, target from its ids. */
function rowFor(request: FastifyRequest, auth: FastifyRequest['auth'], entry: Pick<AuditEntry, 'outcome' | 'detail' | 'target'>): AuditEntry {
  return {
    businessId: auth?.businessId ?? null,
    actorTokenId: auth?.tokenId ?? null,
    action: actionOf(request),
    outcome: entry.outcome,
    requestId: request.id,
    target: entry.target ?? targetOf(request.params),
    detail: entry.detail ?? null,
  };
}

/** A handler's own row for this request (the hook then writes none). */
export async function auditRequest(db: Kysely<Database>, request: FastifyRequest, entry: Pick<AuditEntry, 'outcome' | 'detail' | 'target'>, now: number): Promise<void> {
  request.audited = true;
  await audit(db, rowFor(request, request.auth, entry), now);
}

/** The row for a refused caller; resolves once written (a failure is logged, never thrown). */
export function auditDenial(db: Kysely<Database>, request: FastifyRequest, now: number): Promise<void> {
  request.audited = true;
  return audit(db, rowFor(request, request.refusedAuth, { outcome: 'denied', detail: 'not_enough_permissions' }), now).catch((error: unknown) =>
    request.log.error({ err: error }, 'could not write the audit row'),
  );
}

/** Reads what the auth hook decided (`request.auth`, refusals), so it is registered after it. */
export const auditPlugin = fp<{ db: Kysely<Database>; now: () => number }>(async (app, options) => installAuditLog(app, options.db, options.now), {
  name: 'ramp-connect-audit',
  fastify: '5.x',
  dependencies: ['ramp-connect-auth'],
});

export function installAuditLog(app: FastifyInstance, db: Kysely<Database>, now: () => number): void {
  // onSend, not onResponse: the row is in before the caller sees the answer.
  const writeRow = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (request.audited || !(MUTATING.has(request.method) || request.routeOptions.config?.mutates === true)) return payload;
    const status = reply.statusCode;
    const outcome = status < 400 ? 'success' : status === 401 ? 'denied' : 'failure';
    try {
      await audit(db, rowFor(request, request.auth, { outcome, detail: status < 400 ? null : `HTTP ${status}` }), now());
    } catch (error) {
      request.log.error({ err: error }, 'could not write the audit row');
    }
    return payload;
  };
  app.addHook('onRoute', (route) => {
    const mutating = route.config?.mutates === true || (route.config?.auth !== undefined && [route.method].flat().some((method) => MUTATING.has(method)));
    if (!mutating) return;
    route.onSend = [...(route.onSend === undefined ? [] : [route.onSend].flat()), writeRow];
  });
}
