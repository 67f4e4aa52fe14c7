/**
 * @module Error bodies of the emulated Ramp API.
 *
 * Two wire formats exist (docs/ramp-behaviour.md#token-errors, #errors):
 * - the RFC 6749 §5.2 body `{"error","error_description"}` on the token endpoints, and
 * - Ramp's `error_v2` envelope on the resource API and, as observed, for an unknown refresh token.
 * Handlers build bodies only through these helpers so every error has one stable shape.
 */
import type { FastifyReply } from 'fastify';
import { newTraceId } from './ids.ts';

/** RFC 6749 §5.2 error codes (plus RFC 7009 §2.2.1's `unsupported_token_type`). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'unsupported_token_type';

export interface OAuthErrorBody {
  error: OAuthErrorCode;
  error_description: string;
}

/**
 * The observed Ramp answer for an unknown (or rotated-away) refresh token: HTTP 401 with
 * DEVELOPER_7002 (ramp-cli tests/test_auth.py, B3). Switchable to RFC 6749's 400 `invalid_grant`.
 */
export const REFRESH_TOKEN_NOT_FOUND = 'Refresh token with given refresh_token not found';

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly status: number;

  constructor(code: OAuthErrorCode, description: string, status?: number) {
    super(description);
    this.code = code;
    // RFC 6749 §5.2: 400 except invalid_client, which is 401 when the client tried to authenticate.
    this.status = status ?? (code === 'invalid_client' ? 401 : 400);
  }

  toBody(): OAuthErrorBody {
    return { error: this.code, error_description: this.message };
  }
}

/** Raised for an unknown, revoked or rotated refresh token; its wire form is a fault switch. */
export class RefreshTokenNotFoundError extends OAuthError {
  constructor() {
    super('invalid_grant', REFRESH_TOKEN_NOT_FOUND);
  }
}

/**
 * Writes a token-endpoint error. RFC 6749 §5.2: JSON body, `Cache-Control: no-store`, and for
 * `invalid_client` a 401 with `WWW-Authenticate` naming the scheme the client should use.
 */
export function sendOAuthError(reply: FastifyReply, error: OAuthError, refreshErrorStyle: 'ramp' | 'rfc'): FastifyReply {
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  if (error instanceof RefreshTokenNotFoundError && refreshErrorStyle === 'ramp') {
    return reply.code(401).type('application/json; charset=utf-8').send(rampErrorBody(RAMP_ERROR_CODES.invalidToken, REFRESH_TOKEN_NOT_FOUND));
  }
  if (error.code === 'invalid_client') reply.header('www-authenticate', 'Basic realm="Ramp", charset="UTF-8"');
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.toBody());
}

/** Known Ramp error codes (docs/ramp-behaviour.md#errors). */
export const RAMP_ERROR_CODES = {
  validation: 'DEVELOPER_7001',
  invalidToken: 'DEVELOPER_7002',
  expiredToken: 'DEVELOPER_7028',
  missingScope: 'DEVELOPER_7100',
  businessNotAuthorized: 'CUSTOMER_7004',
  // No public source shows the codes below (UNCONFIRMED). They are deliberately NOT shaped like
  // DEVELOPER_7xxx so nobody mistakes them for observed Ramp codes; clients should key on status.
  notFound: 'NOT_FOUND',
  rateLimited: 'RATE_LIMITED',
  invalidInput: 'INVALID_INPUT',
  serverError: 'SERVICE_UNAVAILABLE',
} as const;

export interface RampErrorBody {
  error_v2: { additional_info: Record<string, unknown>; notes: string; error_id?: string; error_code: string; message: string };
  error: Record<string, unknown>;
}

/**
 * The envelope seen on 401/403 answers: `error_v2` plus a legacy `error {message, details}`
 * (observed body for DEVELOPER_7002, B3).
 */
export function rampErrorBody(errorCode: string, message: string): RampErrorBody {
  return {
    error_v2: { additional_info: {}, notes: '', error_id: newTraceId().slice(0, 12), error_code: errorCode, message },
    error: { message, details: {} },
  };
}

/**
 * The validation envelope (docs example, B5): `additional_info` and the legacy `error` both hold
 * `{field: [messages]}` and `message` repeats the first message.
 */
export function rampValidationBody(fieldErrors: Record<string, string[]>): RampErrorBody {
  const first = Object.values(fieldErrors)[0]?.[0] ?? 'Invalid request';
  return {
    error_v2: { error_code: RAMP_ERROR_CODES.validation, additional_info: fieldErrors, notes: '', message: first },
    error: fieldErrors,
  };
}

export function sendRampError(reply: FastifyReply, status: number, errorCode: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(rampErrorBody(errorCode, message));
}

export function sendRampValidationError(reply: FastifyReply, fieldErrors: Record<string, string[]>): FastifyReply {
  return reply.code(422).type('application/json; charset=utf-8').send(rampValidationBody(fieldErrors));
}

/** Thrown by resource handlers; the app's error handler turns it into a Ramp envelope. */
export class RampApiError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly fieldErrors: Record<string, string[]> | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, errorCode: string, message: string, fieldErrors?: Record<string, string[]>, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
    this.fieldErrors = fieldErrors;
    this.headers = headers;
  }

  static validation(fieldErrors: Record<string, string[]>): RampApiError {
    const first = Object.values(fieldErrors)[0]?.[0] ?? 'Invalid request';
    return new RampApiError(422, RAMP_ERROR_CODES.validation, first, fieldErrors);
  }

  toBody(): RampErrorBody {
    return this.fieldErrors ? rampValidationBody(this.fieldErrors) : rampErrorBody(this.errorCode, this.message);
  }
}

/** Control-plane errors are plain JSON; they are never part of real Ramp. */
export class ControlError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}
