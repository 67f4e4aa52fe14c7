/**
 * @module `GET /v1/authorize` and the consent form's `POST /v1/authorize/decision`.
 *
 * Validation order follows RFC 6749 §4.1.2.1: a missing/unknown `client_id` or a `redirect_uri`
 * that is not exactly registered gets an error *page* and never a redirect (an open redirector
 * otherwise); every later problem is reported to the client by redirecting with `error`,
 * `error_description` and `state`. Ramp-specific rules (B2): `state` required, scopes within the
 * app's, only Admin/Owner may consent ("Business not authorized to use this application").
 * PKCE (RFC 7636) is optional, S256 only.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RampApp } from '../apps.ts';
import { sendConsentPage, sendErrorPage } from '../html.ts';
import type { EnvironmentRouteContext } from '../route-context.ts';
import { parseScopeParameter, scopesOutside } from '../scopes.ts';
import type { ConsentDecision, ConsentRole, ValidatedAuthorizationRequest } from './consent.ts';
import { isValidS256Challenge } from './pkce.ts';

const BUSINESS_NOT_AUTHORIZED = 'Business not authorized to use this application';

/** Appends parameters to a redirect URI, keeping its own query (RFC 6749 §3.1.2). */
function redirectWith(redirectUri: string, params: Record<string, string | null>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.append(name, value);
  return url.toString();
}

function sendRedirect(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(302).header('location', location).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send();
}

type Validation = { ok: true; request: ValidatedAuthorizationRequest } | { ok: false; reply: FastifyReply };

export function registerAuthorizeRoutes(app: FastifyInstance, context: EnvironmentRouteContext): void {
  const { state, environment, prefix } = context;

  function validate(request: FastifyRequest, reply: FastifyReply): Validation {
    const query = new URL(request.url, 'http://emulator.invalid').searchParams;
    const repeated = (name: string): boolean => query.getAll(name).length > 1;
    // RFC 6749 §3.1: parameters sent without a value are treated as omitted.
    const single = (name: string): string | undefined => query.get(name) || undefined;
    const clientId = single('client_id');
    if (clientId === undefined || repeated('client_id')) {
      return { ok: false, reply: sendErrorPage(reply, 400, 'Invalid authorization request', 'The client_id parameter is missing or repeated.') };
    }
    const client = state.apps.findInEnvironment(clientId, environment);
    if (!client) {
      return { ok: false, reply: sendErrorPage(reply, 400, 'Unknown application', `No application with this client_id exists in the ${environment} environment.`) };
    }
    const redirectUri = single('redirect_uri');
    if (redirectUri === undefined || repeated('redirect_uri') || !client.redirectUris.includes(redirectUri)) {
      return { ok: false, reply: sendErrorPage(reply, 400, 'Invalid redirect URI', 'The redirect_uri does not exactly match one registered for this application.') };
    }
    const echoedState = repeated('state') ? null : (single('state') ?? null);
    const fail = (error: string, description: string): Validation => ({
      ok: false,
      reply: sendRedirect(reply, redirectWith(redirectUri, { error, error_description: description, state: echoedState })),
    });
    for (const name of new Set(query.keys())) {
      if (query.getAll(name).length > 1) return fail('invalid_request', `Parameter ${name} must not be included more than once`);
    }
    const responseType = single('response_type');
    if (responseType === undefined) return fail('invalid_request', 'Missing required parameter: response_type');
    if (responseType !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    if (echoedState === null && state.faults.require_state) return fail('invalid_request', 'Missing required parameter: state');
    if (!client.grantTypes.includes('authorization_code')) return fail('unauthorized_client', 'Authorization code grant is not enabled for this client');
    const scopeParameter = single('scope');
    if (scopeParameter === undefined) return fail('invalid_request', 'Missing required parameter: scope');
    const scopes = parseScopeParameter(scopeParameter);
    if (scopes === null || scopes.length === 0) return fail('invalid_scope', 'Malformed scope');
    const outside = scopesOutside(scopes, client.allowedScopes);
    if (outside.length > 0) return fail('invalid_scope', `Requested scope not configured for app: ${outside.join(' ')}`);
    const challenge = single('code_challenge');
    const method = single('code_challenge_method');
    if (method !== undefined && method !== 'S256') return fail('invalid_request', 'Unsupported code_challenge_method; only S256 is supported');
    if (challenge !== undefined && method === undefined) {
      // RFC 7636 §4.3: an absent method means "plain", which this server does not support.
      return fail('invalid_request', 'code_challenge_method is required (plain is not supported; use S256)');
    }
    if (method !== undefined && challenge === undefined) return fail('invalid_request', 'Missing required parameter: code_challenge');
    if (challenge !== undefined && !isValidS256Challenge(challenge)) return fail('invalid_request', 'Malformed code_challenge');
    return {
      ok: true,
      request: { clientId: client.clientId, environment, redirectUri, scopes, state: echoedState, codeChallenge: challenge ?? null },
    };
  }

  /** Answers an authorization that passed validation, as the signed-in person decided. */
  function decide(reply: FastifyReply, authorization: ValidatedAuthorizationRequest, decision: ConsentDecision, role: ConsentRole, businessId: string): FastifyReply {
    if (role === 'member') return sendErrorPage(reply, 403, BUSINESS_NOT_AUTHORIZED, 'Only an Admin or the Business Owner can authorize applications. Ask one of them to complete this step.');
    if (decision === 'deny') {
      return sendRedirect(reply, redirectWith(authorization.redirectUri, { error: 'access_denied', error_description: 'User denied authorization request', state: authorization.state }));
    }
    state.ensureBusiness(businessId);
    const code = state.tokens.issueCode(
      {
        clientId: authorization.clientId,
        environment,
        redirectUri: authorization.redirectUri,
        scopes: authorization.scopes,
        businessId,
        codeChallenge: authorization.codeChallenge,
      },
      state.clock.now(),
    );
    return sendRedirect(reply, redirectWith(authorization.redirectUri, { code, state: authorization.state }));
  }

  function consentPage(reply: FastifyReply, authorization: ValidatedAuthorizationRequest, client: RampApp): FastifyReply {
    const requestId = state.consent.hold(authorization, state.clock.now());
    const businesses = state.businesses.list().map((business) => ({ id: business.id, name: business.profile.business_name_legal }));
    return sendConsentPage(reply, {
      actionPath: `${prefix}/v1/authorize/decision`,
      requestId,
      appName: client.name,
      environment,
      scopes: authorization.scopes,
      businesses,
      selectedBusinessId: state.demoBusinessId,
    });
  }

  app.get('/v1/authorize', async (request, reply) => {
    const validation = validate(request, reply);
    if (!validation.ok) return validation.reply;
    const authorization = validation.request;
    const preset = state.consent.take();
    if (preset) return decide(reply, authorization, preset.decision, preset.role, preset.businessId ?? state.demoBusinessId);
    return consentPage(reply, authorization, state.apps.get(authorization.clientId)!);
  });

  app.post('/v1/authorize/decision', async (request, reply) => {
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
    const text = (name: string): string | undefined => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
    const authorization = state.consent.release(text('request_id') ?? '', state.clock.now());
    if (!authorization) return sendErrorPage(reply, 400, 'Authorization request expired', 'This authorization request has expired or was already answered. Start again from the application.');
    const decision = text('decision');
    if (decision !== 'approve' && decision !== 'deny') return sendErrorPage(reply, 400, 'Invalid decision', 'Choose Allow or Deny.');
    const role = text('role') ?? 'admin';
    if (role !== 'admin' && role !== 'owner' && role !== 'member') return sendErrorPage(reply, 400, 'Invalid role', 'Unknown role.');
    const businessId = text('business_id') ?? state.demoBusinessId;
    if (!state.businesses.has(businessId)) return sendErrorPage(reply, 400, 'Unknown business', 'The selected business does not exist.');
    return decide(reply, authorization, decision, role, businessId);
  });
}
