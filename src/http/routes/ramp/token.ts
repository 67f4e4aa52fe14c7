/**
 * @module `GET /api/v1/ramp/token`: a Ramp access token for internal services, valid for at least
 * 5 minutes, or a fifth of its lifetime if Ramp issues shorter tokens (refreshed first when needed).
 * Only API tokens carrying the `ramp:token` permission may call it.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AccessTokenProvider, RampAccess } from '../../../ramp/access-token-provider.ts';
import { authOf } from '../../auth.ts';
import { BusinessHeaders, errorResponses } from '../../../core/schemas.ts';

const AccessToken = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('Bearer'),
    expires_at: Type.String({ format: 'date-time' }),
    environment: Type.Union([Type.Literal('sandbox'), Type.Literal('production')]),
  },
  { $id: 'RampAccessToken' },
);

type AccessTokenBody = { access_token: string; token_type: 'Bearer'; expires_at: string; environment: 'sandbox' | 'production' };

export function tokenRoute(app: FastifyInstance, tokens: AccessTokenProvider): void {
  // The provider hands out the same RampAccess object while it is cached, so its body is built once.
  const bodies = new WeakMap<RampAccess, AccessTokenBody>();
  app.get(
    '/api/v1/ramp/token',
    {
      config: { auth: { kind: 'business', minRole: 'viewer', permission: 'ramp:token' } },
      schema: {
        tags: ['ramp'],
        summary: 'A Ramp access token valid for at least 5 minutes (API tokens with the ramp:token permission only)',
        headers: BusinessHeaders,
        response: { 200: AccessToken, ...errorResponses(400, 401, 403, 404, 409, 429, 502, 503) },
      },
    },
    async (request, reply) => {
      const access = await tokens.getAccess(authOf(request).businessId);
      let body = bodies.get(access);
      if (!body) {
        body = { access_token: access.accessToken, token_type: 'Bearer', expires_at: new Date(access.expiresAt).toISOString(), environment: access.environment };
        bodies.set(access, body);
      }
      reply.header('cache-control', 'no-store');
      return body;
    },
  );
}
