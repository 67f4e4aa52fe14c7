/**
 * @module The only place that writes error bodies: `{"detail", "code"}` for expected failures,
 * FastAPI's `{"detail": [...]}` for 422, and a bare 500 (no stack, no message) for bugs.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError, ERRORS, RequestValidationError, type ErrorCode } from '../core/errors.ts';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_TYPE: 'invalid_request',
  FST_ERR_CTP_INVALID_TYPE: 'invalid_request',
  FST_ERR_BAD_URL: 'invalid_request',
  FST_ERR_ASYNC_CONSTRAINT: 'invalid_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_request',
};

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError | RequestValidationError, request, reply) => {
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
  });

  app.setNotFoundHandler((request, reply) => {
    reply.header('x-request-id', request.id);
    reply.code(404).send({ detail: ERRORS.route_not_found.detail, code: 'route_not_found' });
  });
}
