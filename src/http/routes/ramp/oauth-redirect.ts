/**
 * @module The redirect (authorization code) flow over HTTP: `GET /api/v1/ramp/connect-url` starts it,
 * `GET /api/v1/ramp/authorize` (the URL it returns) binds it to the browser that opens it and sends
 * that browser to Ramp, `GET /api/v1/ramp/callback` finishes it (in that browser only). The flow itself (state, PKCE, exchange, storing) is
 * `ConnectService` (src/connections/connect-service.ts); here the answers are made `no-store` and
 * `no-referrer` (docs/guarantees.md#g7).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { ConnectServices } from '../../../connections/connect-services.ts';
import { ConnectService } from '../../../connections/connect-service.ts';
import { authOf } from '../../auth.ts';
import { readBrowserSecret, setBrowserSecret } from '../../oauth-browser-cookie.ts';
import { BusinessHeaders, errorResponses } from '../../../core/schemas.ts';

const ConnectUrlQuery = Type.Object({
  return_to: Type.Optional(Type.String({ maxLength: 2048, description: 'Where to send the browser afterwards; must be on the allowlist' })),
});

const ConnectUrl = Type.Object({ connect_url: Type.String(), expires_at: Type.String({ format: 'date-time' }) }, { $id: 'RampConnectUrl' });

const LaunchQuery = Type.Object({
  state: Type.Optional(Type.String({ maxLength: 256, description: 'The state from the connect URL' })),
});

const CallbackQuery = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 2048 })),
  state: Type.Optional(Type.String({ maxLength: 256 })),
  error: Type.Optional(Type.String({ maxLength: 256 })),
  error_description: Type.Optional(Type.String({ maxLength: 2048 })),
  iss: Type.Optional(Type.String({ maxLength: 2048 })),
});

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').header('referrer-policy', 'no-referrer');
}

export function oauthRedirectRoutes(app: FastifyInstance, s: ConnectServices): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const service = new ConnectService(s);

  api.get(
    '/api/v1/ramp/connect-url',
    {
      config: { auth: { kind: 'business', minRole: 'admin' } },
      schema: {
        tags: ['ramp'],
        summary: 'Start connecting Ramp with OAuth (returns the URL to send the browser to)',
        headers: BusinessHeaders,
        querystring: ConnectUrlQuery,
        response: { 200: ConnectUrl, ...errorResponses(400, 401, 403, 422, 503) },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const started = await service.startAuthorization({ businessId: auth.businessId, userId: auth.userId, tokenId: auth.tokenId, returnTo: request.query.return_to });
      return noStore(reply).send({ connect_url: started.connectUrl, expires_at: new Date(started.expiresAt).toISOString() });
    },
  );

  api.get(
    '/api/v1/ramp/authorize',
    {
      config: { mutates: true, auditAction: 'connect.oauth_launch' },
      schema: {
        tags: ['ramp'],
        summary: 'Open the connect URL in a browser: binds the flow to this browser (cookie) and redirects to Ramp',
        security: [],
        querystring: LaunchQuery,
        response: { 302: Type.Null(), ...errorResponses(400, 422, 503) },
      },
    },
    async (request, reply) => {
      noStore(reply);
      const launched = await service.launchAuthorization({ state: request.query.state, browserSecret: readBrowserSecret(request) });
      return setBrowserSecret(reply, launched.browserSecret).redirect(launched.authorizeUrl, 302);
    },
  );

  api.get(
    '/api/v1/ramp/callback',
    {
      config: { mutates: true, auditAction: 'connect.oauth' },
      schema: {
        tags: ['ramp'],
        summary: "Ramp's OAuth redirect target (browser)",
        security: [],
        querystring: CallbackQuery,
        response: { 302: Type.Null(), ...errorResponses(400, 422) },
      },
    },
    async (request, reply) => {
      noStore(reply);
      const { code, state, error, iss } = request.query;
      // The service writes the row itself once it knows the business; before that (a bad state) the audit hook does.
      const onAudited = () => {
        request.audited = true;
      };
      return reply.redirect(await service.completeAuthorization({ code, state, error, iss, browserSecret: readBrowserSecret(request), requestId: request.id, onAudited }), 302);
    },
  );
}
