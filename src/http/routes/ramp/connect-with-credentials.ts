/**
 * @module `POST /api/v1/ramp/connect-with-credentials` (seed 000): connect with the customer's own Ramp
 * app through the Client Credentials grant (`ConnectService.connectWithCredentials`). Ramp's refusal
 * becomes a 400 that says what to fix in the Ramp app; Ramp being down becomes a 502 and nothing is stored.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { auditRequest } from '../../audit-hook.ts';
import type { ConnectServices } from '../../../connections/connect-services.ts';
import { ConnectService } from '../../../connections/connect-service.ts';
import { ConnectionView } from '../../../connections/connection-view.ts';
import { authOf } from '../../auth.ts';
import { errorResponses, IdempotentBusinessHeaders } from '../../../core/schemas.ts';

const Scope = Type.String({ pattern: '^[a-z_]+:[a-z_]+$', maxLength: 64 });

const Body = Type.Object(
  {
    client_id: Type.String({ minLength: 1, maxLength: 512, description: 'Ramp Developer App Client ID' }),
    client_secret: Type.String({ minLength: 1, maxLength: 512, description: 'Ramp Developer App Client Secret' }),
    scopes: Type.Optional(Type.Array(Scope, { minItems: 1, maxItems: 64 })),
    environment: Type.Optional(Type.Union([Type.Literal('sandbox'), Type.Literal('production')])),
  },
  { $id: 'RampApiCredentialsRequest' },
);

export function connectWithCredentialsRoute(app: FastifyInstance, s: ConnectServices): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const service = new ConnectService(s);
  api.post(
    '/api/v1/ramp/connect-with-credentials',
    {
      config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'connect.client_credentials', idempotent: true },
      schema: {
        tags: ['ramp'],
        summary: 'Connect Ramp with your own API credentials',
        description:
          "Connect Ramp using your own Client ID and Client Secret from a Ramp Developer App (Client Credentials grant). Create your app at: Ramp Dashboard → Company → Developer, and enable the Client Credentials grant type.",
        operationId: 'connect_with_credentials_api_v1_ramp_connect_with_credentials_post',
        headers: IdempotentBusinessHeaders,
        body: Body,
        response: { 201: ConnectionView, ...errorResponses(400, 401, 403, 409, 422, 502) },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const { body } = request;
      const record = (outcome: 'success' | 'failure', detail: string) => auditRequest(s.ctx.db.kysely, request, { outcome, detail }, s.ctx.now());
      const row = await service.connectWithCredentials(
        {
          businessId: auth.businessId,
          tokenId: auth.tokenId,
          clientId: body.client_id,
          clientSecret: body.client_secret,
          ...(body.scopes ? { scopes: body.scopes } : {}),
          ...(body.environment ? { environment: body.environment } : {}),
        },
        record,
      );
      return reply.code(201).send(await service.view(row));
    },
  );
}
