/** @module Liveness and readiness. `/readyz` checks the database with a trivial query. */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { Type } from 'typebox';
import type { AppContext } from '../../app-context.ts';
import { ApiError } from '../../core/errors.ts';

const Health = Type.Object({ status: Type.String() });

export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', { schema: { tags: ['health'], response: { 200: Health } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['health'], response: { 200: Health } } }, async () => {
    try {
      await sql`select 1`.execute(ctx.db.kysely);
    } catch {
      throw new ApiError('service_unavailable', 'Database is not reachable');
    }
    return { status: 'ready' };
  });
}
