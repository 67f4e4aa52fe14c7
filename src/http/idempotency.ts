/**
 * @module `Idempotency-Key` on the routes that declare `config.idempotent` (connect-with-credentials,
 * sync, mark-synced; docs/guarantees.md#g42). Same key and same request (method, route, body; per
 * business and API token) → the first answer replayed with `idempotent-replayed: true`; same key and
 * another request → 422 (FastAPI's shape, `type: idempotency_key_reused` at `["header", "idempotency-key"]`); while the first is still running → 409
 * `idempotency_key_in_progress`, so concurrent duplicates execute once. Keys last 24 hours. A 5xx
 * answer is not kept (the key is released for a retry). A malformed key (empty, longer than 255,
 * anything but visible ASCII, or sent twice, which arrives joined by ", ") is a 400
 * `invalid_idempotency_key`, checked after authentication and before request validation, so the
 * header schema's length limits (kept for the OpenAPI document) never answer it with a 422. The key
 * is claimed after validation.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { ApiError, RequestValidationError } from '../core/errors.ts';
import { IdempotencyStore, requestHash, type IdempotencyScope } from '../core/idempotency-store.ts';
import type { Database } from '../db/schema.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route honours `Idempotency-Key`. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    /** This request holds its key; its answer is stored on send. */
    idempotency?: IdempotencyScope;
  }
}

const KEY = /^[\x21-\x7e]{1,255}$/;

export const idempotencyPlugin = fp<{ db: Kysely<Database>; now: () => number }>(async (app, options) => installIdempotency(app, options.db, options.now), {
  name: 'ramp-connect-idempotency',
  fastify: '5.x',
  dependencies: ['ramp-connect-auth'],
});

export function installIdempotency(app: FastifyInstance, db: Kysely<Database>, now: () => number): void {
  const store = new IdempotencyStore(db);

  const checkKey = (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
    const header = request.headers['idempotency-key'];
    done(header === undefined || (typeof header === 'string' && KEY.test(header)) ? undefined : new ApiError('invalid_idempotency_key'));
  };

  const claim = async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers['idempotency-key'];
    const businessId = request.auth?.businessId;
    if (header === undefined || !request.auth || businessId === undefined) return;
    if (typeof header !== 'string' || !KEY.test(header)) throw new ApiError('invalid_idempotency_key');
    const scope: IdempotencyScope = { businessId, tokenId: request.auth.tokenId, key: header };
    const claimed = await store.claim(scope, requestHash(request.method, request.routeOptions.url ?? request.url, request.body), now());
    switch (claimed.kind) {
      case 'first':
        request.idempotency = scope;
        return;
      case 'other_request':
        // FastAPI's 422 shape, so the route's declared 422 answer holds; `type` is the stable code.
        throw new RequestValidationError([
          { type: 'idempotency_key_reused', loc: ['header', 'idempotency-key'], msg: 'This Idempotency-Key was already used with a different request; use a new key', input: header },
        ]);
      case 'in_progress':
        throw new ApiError('idempotency_key_in_progress');
      case 'replay':
        return reply.code(claimed.status).header('content-type', 'application/json; charset=utf-8').header('idempotent-replayed', 'true').send(claimed.body);
    }
  };

  const keep = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const scope = request.idempotency;
    if (!scope) return payload;
    request.idempotency = undefined;
    try {
      if (reply.statusCode >= 500 || typeof payload !== 'string') await store.release(scope);
      else await store.complete(scope, reply.statusCode, payload);
    } catch (error) {
      request.log.error({ err: error }, 'could not store the idempotent answer');
    }
    return payload;
  };

  app.addHook('onRoute', (route) => {
    const declared = (route.schema?.headers as { properties?: Record<string, unknown> } | undefined)?.properties?.['idempotency-key'] !== undefined;
    if (declared && route.config?.idempotent !== true) throw new Error(`Route ${route.url} documents Idempotency-Key without config.idempotent: the key would be neither checked nor honoured`);
    if (route.config?.idempotent !== true) return;
    // First of the route's own preValidation hooks (after the global authentication), before validation's.
    route.preValidation = [checkKey, ...(route.preValidation === undefined ? [] : [route.preValidation].flat())];
    route.preHandler = [...(route.preHandler === undefined ? [] : [route.preHandler].flat()), claim];
    route.onSend = [...(route.onSend === undefined ? [] : [route.onSend].flat()), keep];
  });
}
