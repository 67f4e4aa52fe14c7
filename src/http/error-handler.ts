/**
 * @module The only place that writes error bodies: `{"detail", "code"}` for expected failures,
 * FastAPI's `{"detail": [...]}` for 422, and a bare 500 (no stack, no message) for bugs. A path no
 * route has is a 404 `route_not_found`; a path some route has, asked with another method, is
 * Starlette's 405 `Method Not Allowed` with `Allow` naming the methods the path answers. What Fastify
 * and Node answer before any route or hook runs (a path that does not decode, an over-long path
 * parameter, bytes that are not HTTP) gets the same `{"detail", "code"}` through `frameworkErrors`
 * and `clientErrorHandler`, Fastify's constructor options for them (`buildApp` passes both).
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ERRORS, RequestValidationError, type ErrorCode } from '../core/errors.ts';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_TYPE: 'invalid_request',
  FST_ERR_CTP_INVALID_TYPE: 'invalid_request',
  FST_ERR_BAD_URL: 'invalid_url',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_request',
};

/** `Allow`'s order: the usual one, then any other method by name. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const byMethodOrder = (a: string, b: string) => {
  const [i, j] = [METHOD_ORDER.indexOf(a), METHOD_ORDER.indexOf(b)];
  return i >= 0 && j >= 0 ? i - j : i >= 0 ? -1 : j >= 0 ? 1 : a.localeCompare(b);
};

/**
 * The methods some route answers at the request's path, or none when the request's own method has a
 * route there (a handler's `reply.callNotFound()`: the route exists, what it names does not). A path
 * that does not decode never gets here: `frameworkErrors` answers it 400 `invalid_url` first.
 */
function allowedMethods(app: FastifyInstance, methods: ReadonlySet<string>, request: FastifyRequest): string[] {
  const url = request.raw.url ?? request.url;
  if (app.findRoute({ method: request.method, url }) !== null) return [];
  return [...methods].filter((method) => app.findRoute({ method, url }) !== null).sort(byMethodOrder);
}

/** Must run before any route is registered (it collects the methods routes use). */
export function installErrorHandler(app: FastifyInstance): void {
  const methods = new Set<string>();
  // Every route's methods, HEAD included (Fastify adds a HEAD route beside each GET one).
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) methods.add(method);
  });

  app.setErrorHandler(sendError);

  app.setNotFoundHandler((request, reply) => {
    reply.header('x-request-id', request.id);
    const allowed = allowedMethods(app, methods, request);
    if (allowed.length > 0) {
      return reply.code(405).header('allow', allowed.join(', ')).send({ detail: ERRORS.method_not_allowed.detail, code: 'method_not_allowed' });
    }
    return reply.code(404).send({ detail: ERRORS.route_not_found.detail, code: 'route_not_found' });
  });
}

/** Writes the body of every error a route, a hook or the router raised (`setErrorHandler`, `frameworkErrors`). */
function sendError(error: FastifyError | ApiError | RequestValidationError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('x-request-id', request.id);
  if (error instanceof RequestValidationError) {
    return reply.code(422).send({ detail: error.issues });
  }
  if (error instanceof ApiError) {
    if (error.status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(error.status).headers(error.headers).send({ detail: error.detail, code: error.code, ...(error.existingId ? { existing_id: error.existingId } : {}) });
  }
  const mapped = FASTIFY_CODES[(error as FastifyError).code ?? ''];
  if (mapped) {
    const spec = ERRORS[mapped];
    return reply.code(spec.status).send({ detail: spec.detail, code: mapped });
  }
  const status = (error as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Fastify's own client errors (e.g. 429 from the rate limiter) keep their status with a plain detail.
    const code: ErrorCode = status === 429 ? 'rate_limited' : status === 404 ? 'not_found' : 'invalid_request';
    return reply.code(status).send({ detail: ERRORS[code].detail, code });
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.code(500).send({ detail: ERRORS.internal_error.detail, code: 'internal_error' });
}

/**
 * Fastify's `frameworkErrors`: the router's own failures, which never reach the error handler, written
 * by the same code. A path whose percent-encoding does not decode (`/api/v1/ramp/%zz`) is a 400
 * `invalid_url`, a path parameter over the router's `maxParamLength` a 414 `uri_too_long`; anything
 * else here (`FST_ERR_ASYNC_CONSTRAINT`: no route has an async constraint) is a bug, a bare 500.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  sendError(error, request, reply);
}

/**
 * Fastify's `clientErrorHandler`, for what Node's HTTP parser refuses (a malformed `Content-Length`, a
 * header line that is not one, headers over Node's size limit, a request not received in time): the
 * status Fastify's default gives, with our body instead of `{"error","message","statusCode"}`.
 */
export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection is gone: nothing to answer (as Fastify's default).
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request_timeout' : error.code === 'HPE_HEADER_OVERFLOW' ? 'request_headers_too_large' : 'invalid_http_request';
  const { status, detail } = ERRORS[code];
  this.log.trace({ err: error }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify({ detail, code });
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
