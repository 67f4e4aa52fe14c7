/**
 * @module Assembly of the emulator's Fastify app.
 *
 * One process serves both Ramp environments (docs/ramp-behaviour.md#hosts-and-environments): production at the root
 * and sandbox under `/sandbox`, each with its own authorize, token, revoke and resource routes. The
 * control plane lives at `/__emulator` (root only). Cross-cutting behaviour is in hooks:
 * `x-trace-id` on every response (B5), injected faults, padding of large bodies, request stats.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { ENVIRONMENTS, environmentPrefix } from './apps.ts';
import { CONTROL_PREFIX, registerControlPlane } from './control/routes.ts';
import { ControlError, OAuthError, RAMP_ERROR_CODES, RampApiError, rampErrorBody, sendOAuthError } from './errors.ts';
import { faultAppliesToPath } from './faults.ts';
import { parseFormBody } from './form-body.ts';
import { newTraceId } from './ids.ts';
import { registerAuthorizeRoutes } from './oauth/authorize.ts';
import { registerTokenRoutes } from './oauth/token.ts';
import { registerResourceRoutes } from './resources/routes.ts';
import type { EnvironmentRouteContext } from './route-context.ts';
import type { EmulatorState } from './state.ts';
import { registerWebhookSubscriptionRoutes } from './webhooks/routes.ts';

type Surface = 'control' | 'oauth' | 'resource' | 'unmatched';

/** Which part of the emulator a request belongs to, from its matched route pattern. */
function surfaceOf(request: FastifyRequest): Surface {
  const pattern = request.routeOptions.url;
  if (pattern === undefined) return pathOf(request.url).startsWith(CONTROL_PREFIX) ? 'control' : 'unmatched';
  if (pattern.startsWith(CONTROL_PREFIX)) return 'control';
  const bare = pattern.startsWith('/sandbox/') ? pattern.slice('/sandbox'.length) : pattern;
  return bare.startsWith('/v1/authorize') || bare.startsWith('/developer/v1/token') ? 'oauth' : 'resource';
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** Werkzeug's 404 page: real Ramp answers unknown paths with Flask's HTML 404 (B5). */
const NOT_FOUND_HTML = `<!doctype html>
<html lang=en>
<title>404 Not Found</title>
<h1>Not Found</h1>
<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>
`;

export interface BuildAppInput {
  state: EmulatorState;
  logger: boolean;
}

export async function createEmulatorFastify({ state, logger }: BuildAppInput): Promise<FastifyInstance> {
  const app = Fastify({
    // Off by default; when on, never log credentials (Authorization headers, bodies are not logged).
    logger: logger ? { level: 'info', redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[REDACTED]' } } : false,
    forceCloseConnections: true,
    bodyLimit: 32 * 1024 * 1024,
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, parseFormBody(body as string));
  });
  // Any other media type reaches the handler as text, so the token endpoint can answer
  // `invalid_request` (RFC 6749 §5.2) instead of Fastify's 415.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-trace-id', newTraceId());
    const surface = surfaceOf(request);
    if (surface === 'control') return;
    // An empty body that still names a media type (a DELETE sent with `Content-Type: application/json`)
    // is no body, as Ramp's Flask reads it, rather than Fastify's "Body cannot be empty" 400.
    const length = request.headers['content-length'];
    if ((length === undefined || length === '0') && request.headers['transfer-encoding'] === undefined) delete request.headers['content-type'];
    const faults = state.faults;
    if (faultAppliesToPath(faults, pathOf(request.url))) {
      if (faults.hang_ms > 0) await state.faultSleep(faults.hang_ms);
      if (faults.latency_ms > 0) await state.faultSleep(faults.latency_ms);
      let inject = false;
      if (faults.fail_next > 0) {
        faults.fail_next -= 1;
        inject = true;
      } else if (faults.error_rate > 0 && Math.random() < faults.error_rate) {
        inject = true;
      }
      if (inject) {
        state.stats.count('faults_injected');
        if (faults.retry_after_s !== null) reply.header('retry-after', String(faults.retry_after_s));
        return reply.code(faults.status).type('application/json; charset=utf-8').send(rampErrorBody(RAMP_ERROR_CODES.serverError, 'Service temporarily unavailable'));
      }
    }
    if (surface === 'resource' && faults.redirect_to !== null) return reply.code(302).header('location', faults.redirect_to).send();
  });

  app.addHook('onSend', async (request, _reply, payload) => {
    const target = state.faults.large_body_bytes;
    if (target > 0 && typeof payload === 'string' && surfaceOf(request) === 'resource') {
      const size = Buffer.byteLength(payload);
      // Trailing whitespace keeps the JSON valid and its shape unchanged.
      if (size < target) return payload + ' '.repeat(target - size);
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    if (surfaceOf(request) === 'control') return;
    const pattern = request.routeOptions.url ?? '(unmatched)';
    state.stats.countEndpoint(`${request.method} ${pattern}`);
    const body = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {};
    const query = (request.query ?? {}) as Record<string, unknown>;
    const grantType = typeof body.grant_type === 'string' ? body.grant_type : undefined;
    const redirectUri = typeof body.redirect_uri === 'string' ? body.redirect_uri : typeof query.redirect_uri === 'string' ? query.redirect_uri : undefined;
    const authorization = request.headers.authorization;
    state.stats.recordRequest({
      at: new Date().toISOString(),
      method: request.method,
      path: pathOf(request.url),
      status: reply.statusCode,
      ...(grantType !== undefined ? { grant_type: grantType } : {}),
      ...(redirectUri !== undefined ? { redirect_uri: redirectUri } : {}),
      headers: Object.keys(request.headers).sort(),
      authorization_scheme: authorization ? (authorization.split(' ')[0] ?? null) : null,
      has_x_business_id: request.headers['x-business-id'] !== undefined,
      has_cookie: request.headers.cookie !== undefined,
    });
  });

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof RampApiError) {
      return reply.code(error.status).headers(error.headers).type('application/json; charset=utf-8').send(error.toBody());
    }
    if (error instanceof ControlError) return reply.code(error.status).send({ error: error.message });
    const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    const surface = surfaceOf(request);
    if (surface === 'control') return reply.code(status).send({ error: error.message });
    if (surface === 'oauth' && status < 500) {
      // Unparseable bodies on the token endpoints are `invalid_request` (RFC 6749 §5.2).
      state.stats.countTokenError('invalid_request');
      return sendOAuthError(reply, new OAuthError('invalid_request', `Malformed request: ${error.message}`), state.faults.refresh_error_style);
    }
    if (status >= 500) request.log.error({ err: error }, 'emulator error');
    return reply
      .code(status)
      .type('application/json; charset=utf-8')
      .send(rampErrorBody(status >= 500 ? RAMP_ERROR_CODES.serverError : RAMP_ERROR_CODES.invalidInput, status >= 500 ? 'Internal server error' : error.message));
  });

  app.setNotFoundHandler((request, reply) => {
    if (pathOf(request.url).startsWith(CONTROL_PREFIX)) return reply.code(404).send({ error: `No control route ${request.method} ${pathOf(request.url)}` });
    return reply.code(404).type('text/html; charset=utf-8').send(NOT_FOUND_HTML);
  });

  for (const environment of ENVIRONMENTS) {
    const prefix = environmentPrefix(environment);
    const context: EnvironmentRouteContext = { state, environment, prefix };
    await app.register(
      async (scope) => {
        registerAuthorizeRoutes(scope, context);
        registerTokenRoutes(scope, context);
        registerResourceRoutes(scope, context);
        registerWebhookSubscriptionRoutes(scope, context);
      },
      { prefix },
    );
  }
  await registerControlPlane(app, state);

  // Wake requests sleeping in a hang/latency fault and stop webhook retries before the server
  // waits for open requests, so `close()` is prompt even mid-fault.
  app.addHook('preClose', async () => state.close());
  return app;
}
