/**
 * @module Reading and authenticating requests to the token and revocation endpoints.
 *
 * - Body: form-encoded (RFC 6749 §4.1.3, §6; Ramp docs mandate it, B3); JSON also accepted unless
 *   the `json_body` switch is off, because Ramp's OpenAPI declares a JSON body.
 * - Empty values count as omitted (RFC 6749 §3.2); repeated parameters are an error.
 * - Client authentication: HTTP Basic (RFC 6749 §2.3.1), the only method Ramp documents. Body
 *   credentials only with the `body_client_auth` switch, and never together with Basic (§2.3).
 */
import type { FastifyRequest } from 'fastify';
import type { Environment, RampApp } from '../apps.ts';
import { OAuthError } from '../errors.ts';
import type { Faults } from '../faults.ts';
import { parseBasicAuthorization } from './basic-auth.ts';

export type TokenParams = Record<string, string>;

export function readTokenParams(request: FastifyRequest, faults: Faults): TokenParams {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const body = request.body;
  let fields: Record<string, unknown>;
  if (mediaType === 'application/x-www-form-urlencoded') {
    fields = (body ?? {}) as Record<string, unknown>;
  } else if (mediaType === 'application/json') {
    if (!faults.json_body) throw new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OAuthError('invalid_request', 'JSON body must be an object');
    fields = body as Record<string, unknown>;
  } else if (body === undefined || body === null || body === '') {
    fields = {};
  } else {
    throw new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  }
  const params: TokenParams = {};
  for (const [name, value] of Object.entries(fields)) {
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `Parameter ${name} must not be included more than once`);
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `Parameter ${name} must be a string`);
    if (value !== '') params[name] = value;
  }
  return params;
}

export function authenticateClient(request: FastifyRequest, params: TokenParams, environment: Environment, lookup: (id: string, secret: string) => RampApp | undefined, faults: Faults): RampApp {
  const basic = parseBasicAuthorization(request.headers.authorization, faults.basic_auth_decoding);
  if (basic === 'malformed') throw new OAuthError('invalid_client', 'Malformed HTTP Basic client credentials');
  const bodyId = params.client_id;
  const bodySecret = params.client_secret;
  if (basic) {
    if (bodySecret !== undefined) throw new OAuthError('invalid_request', 'Use exactly one client authentication method (RFC 6749 §2.3)');
    if (bodyId !== undefined && bodyId !== basic.clientId) throw new OAuthError('invalid_client', 'client_id does not match the authenticated client');
    const app = lookup(basic.clientId, basic.clientSecret);
    if (!app) throw new OAuthError('invalid_client', `Client authentication failed for this ${environment} environment`);
    return app;
  }
  if (bodyId !== undefined || bodySecret !== undefined) {
    if (!faults.body_client_auth) throw new OAuthError('invalid_client', 'Client authentication must use HTTP Basic (client_secret_basic)');
    const app = bodyId !== undefined && bodySecret !== undefined ? lookup(bodyId, bodySecret) : undefined;
    if (!app) throw new OAuthError('invalid_client', `Client authentication failed for this ${environment} environment`);
    return app;
  }
  throw new OAuthError('invalid_client', 'Client authentication required (HTTP Basic)');
}

export function requireParam(params: TokenParams, name: string): string {
  const value = params[name];
  if (value === undefined) throw new OAuthError('invalid_request', `Missing required parameter: ${name}`);
  return value;
}
