/**
 * @module The Fastify application factory: logging with redaction and request ids, FastAPI-style
 * validation and errors, auth, OpenAPI, and the routes. No listening here (see `src/server.ts`).
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.ts';
import { lazyChildLoggerFactory } from '../logging/lazy-child-logger.ts';
import { metricsRoutes } from './metrics-route.ts';
import { authPlugin } from './auth.ts';
import { auditPlugin } from './audit-hook.ts';
import { idempotencyPlugin } from './idempotency.ts';
import { ApiRateLimiter } from './rate-limit.ts';
import { clientErrorHandler, frameworkErrors, installErrorHandler } from './error-handler.ts';
import { docsRoutes, registerOpenApi } from './openapi.ts';
import { apiTokenRoutes } from './routes/api-tokens.ts';
import { businessRoutes } from './routes/businesses.ts';
import { healthRoutes } from './routes/health.ts';
import { installFastApiValidation } from './validation/validation-plugin.ts';

/** A feature's routes: registered in order after the built-in ones. */
export type RouteModule = (app: FastifyInstance, ctx: AppContext) => void | Promise<void>;

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly auth: 'public' | 'user' | 'business';
  /** A public GET that changes state (`config.mutates`), audited like a POST. */
  readonly mutates: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: readonly RegisteredRoute[];
  }
}

export async function buildApp(ctx: AppContext, extraRoutes: readonly RouteModule[] = []): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    childLoggerFactory: lazyChildLoggerFactory,
    // Accept a caller's request id when it is safe to echo; otherwise make one.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    bodyLimit: 1_048_576,
    trustProxy: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    // What the router and Node's HTTP parser answer before any route: in the catalogue's shape too.
    frameworkErrors,
    clientErrorHandler,
  }) as unknown as FastifyInstance;
  // Every response carries x-request-id. Authenticated routes set it in the auth hook they run
  // anyway, errors in the error handler; only public routes get a hook of their own (a global
  // hook cost the token hot path about 4%).
  const echoRequestId = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('x-request-id', request.id);
    done();
  };

  // The route table, for tests that must cover every route (tenant-isolation matrix, fuzz).
  const routeTable: RegisteredRoute[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    if (!route.config?.auth) route.onRequest = [echoRequestId, ...(route.onRequest === undefined ? [] : [route.onRequest].flat())];
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routeTable.push({ method, url: route.url, auth: route.config?.auth?.kind ?? 'public', mutates: route.config?.mutates === true });
    }
  });

  // Node ends only the idle keep-alive sockets when the server closes. A request still in flight then
  // (one waiting on Ramp's token endpoint, say) leaves its socket idling on after the answer for the
  // keep-alive timeout, Fastify's 72 s, and the close waits it out: from the close on, an idle socket ends.
  app.addHook('preClose', async () => {
    app.server.keepAliveTimeout = 1;
  });

  installFastApiValidation(app);
  installErrorHandler(app);
  const { rateLimit } = ctx.config;
  // Named plugins (fastify-plugin, not encapsulated): the audit log declares it needs auth first.
  await app.register(authPlugin, { db: ctx.db.kysely, now: ctx.now, limiter: new ApiRateLimiter(rateLimit) });
  await app.register(auditPlugin, { db: ctx.db.kysely, now: ctx.now });
  await app.register(idempotencyPlugin, { db: ctx.db.kysely, now: ctx.now });
  await registerOpenApi(app, ctx.config.publicUrl);

  healthRoutes(app, ctx);
  docsRoutes(app);
  metricsRoutes(app, ctx);
  businessRoutes(app, ctx);
  apiTokenRoutes(app, ctx);
  for (const routes of extraRoutes) await routes(app, ctx);
  return app;
}
