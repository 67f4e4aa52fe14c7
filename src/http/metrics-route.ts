/**
 * @module `GET /metrics`: Prometheus text format, the process's counters (registry.ts) followed by the
 * database gauges (db-gauges.ts).
 *
 * Safe by default: without `METRICS_TOKEN` there is no route, so any method gets the 404 of an unknown path; with it, the
 * scraper must send `Authorization: Bearer <METRICS_TOKEN>` (Prometheus `authorization.credentials`),
 * anything else is a 401. The comparison is constant-time over digests. Not in the OpenAPI document:
 * it is for operators, not product teams.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.ts';
import { ApiError } from '../core/errors.ts';
import { DbGauges } from './metrics-db-gauges.ts';
import { collectProcessMetrics, metricsRegistry } from '../metrics/registry.ts';

export const METRICS_PATH = '/metrics';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function metricsRoutes(app: FastifyInstance, ctx: AppContext): void {
  const token = ctx.config.metricsToken;
  // Not registered at all (a registered GET would make `POST /metrics` a 405 naming it).
  if (token === undefined) return;
  const expected = digest(`Bearer ${token}`);
  const gauges = new DbGauges(ctx.db, ctx.now);
  collectProcessMetrics();
  app.get(METRICS_PATH, { schema: { hide: true } }, async (request, reply) => {
    const header = request.headers.authorization;
    if (typeof header !== 'string' || !timingSafeEqual(digest(header), expected)) {
      throw new ApiError('not_authenticated', undefined, { headers: { 'www-authenticate': 'Bearer' } });
    }
    const body = (await metricsRegistry.metrics()) + (await gauges.metrics());
    return reply.header('cache-control', 'no-store').type(metricsRegistry.contentType).send(body);
  });
}
