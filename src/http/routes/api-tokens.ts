/** @module `POST/GET /api/v1/tokens`, `DELETE /api/v1/tokens/{id}`: a user's own API tokens. The token is shown once. */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { AppContext } from '../../app-context.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../../auth/api-tokens-repo.ts';
import { authOf } from '../auth.ts';
import { ApiError } from '../../core/errors.ts';
import { Nullable, Page, errorResponses } from '../../core/schemas.ts';

export const KNOWN_PERMISSIONS = ['ramp:token'] as const;

const TokenInfo = Type.Object(
  {
    id: Type.String(),
    jti: Type.String(),
    name: Type.String(),
    description: Nullable(Type.String()),
    token_prefix: Type.String(),
    token_type: Type.String(),
    permissions: Type.Array(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
    last_used_at: Nullable(Type.String({ format: 'date-time' })),
    expires_at: Type.String({ format: 'date-time' }),
    revoked_at: Nullable(Type.String({ format: 'date-time' })),
    revocation_reason: Nullable(Type.String()),
  },
  { $id: 'APITokenInfo' },
);

const CreateToken = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    description: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
    expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, default: 365 })),
    permissions: Type.Optional(Type.Array(Type.Union(KNOWN_PERMISSIONS.map((p) => Type.Literal(p))), { maxItems: 8 })),
  },
  { $id: 'APITokenCreate' },
);

const TokenIdParams = Type.Object({ token_id: Type.String({ minLength: 1, maxLength: 64 }) });

const withJti = <T extends { id: string }>(info: T) => ({ ...info, jti: info.id });

export function apiTokenRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: Static<typeof CreateToken> }>(
    '/api/v1/tokens',
    {
      config: { auth: { kind: 'user' }, auditAction: 'api_token.create' },
      schema: {
        tags: ['api-tokens'],
        summary: 'Create an API token (shown once)',
        body: CreateToken,
        response: { 201: Type.Object({ token: Type.String(), token_info: TokenInfo }), ...errorResponses(401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const caller = authOf(request);
      const permissions = [...new Set(request.body.permissions ?? [])];
      // A token never carries more than the one that made it: `ramp:token` reads a business's live Ramp
      // access token, so only an operator grants it (`ramp-connect token create --permission`), and
      // only a token holding it may pass it on. Otherwise any member, a viewer too, could mint it.
      if (permissions.some((permission) => !caller.permissions.includes(permission))) throw new ApiError('not_enough_permissions');
      const { token, info } = await createApiToken(ctx.db, {
        userId: caller.userId,
        name: request.body.name,
        description: request.body.description ?? null,
        expiresInDays: request.body.expires_in_days ?? 365,
        permissions,
        now: ctx.now(),
      });
      return reply.code(201).header('cache-control', 'no-store').send({ token, token_info: withJti(info) });
    },
  );

  app.get(
    '/api/v1/tokens',
    {
      config: { auth: { kind: 'user' } },
      schema: { tags: ['api-tokens'], summary: 'List your API tokens', response: { 200: Page(TokenInfo), ...errorResponses(401) } },
    },
    async (request) => {
      const items = (await listApiTokens(ctx.db.kysely, authOf(request).userId)).map(withJti);
      return { items, next_cursor: null, has_more: false };
    },
  );

  app.delete<{ Params: Static<typeof TokenIdParams> }>(
    '/api/v1/tokens/:token_id',
    {
      config: { auth: { kind: 'user' }, auditAction: 'api_token.revoke' },
      schema: { tags: ['api-tokens'], summary: 'Revoke one of your API tokens', params: TokenIdParams, response: { 200: TokenInfo, ...errorResponses(401, 404, 422) } },
    },
    async (request) => {
      const info = await revokeApiToken(ctx.db.kysely, authOf(request).userId, request.params.token_id, 'revoked by user', ctx.now());
      app.authCache.forgetToken(info.id);
      return withJti(info);
    },
  );
}
