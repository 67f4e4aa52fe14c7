/**
 * @module `GET /api/v1/ramp/status`, `DELETE /api/v1/ramp/connection`, `GET/PUT /api/v1/ramp/sync-config`.
 * Disconnect revokes the tokens at Ramp first (RFC 7009; a local delete alone leaves them usable), then
 * deletes the secrets whatever Ramp said; the outcome is in the `x-ramp-revocation` header and the audit log.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { auditRequest } from '../../audit-hook.ts';
import type { ConnectServices } from '../../../connections/connect-services.ts';
import { ConnectionView, toConnectionView } from '../../../connections/connection-view.ts';
import type { RampConnectionsTable } from '../../../db/schema.ts';
import { SyncConfigUpdate, getSyncConfig, updateSyncConfig } from '../../../connections/sync-config.ts';
import type { ClientCredentials } from '../../../oauth/token-endpoint.ts';
import { isKeyUnavailable, keyUnavailableError } from '../../../vault/key-unavailable.ts';
import { CredentialsCorruptError } from '../../../vault/vault.ts';
import { authOf } from '../../auth.ts';
import { ApiError } from '../../errors.ts';
import { BusinessHeaders, errorResponses } from '../../schemas/common.ts';

const SyncConfigView = Type.Object(
  {
    sync_enabled: Type.Boolean(),
    auto_sync_enabled: Type.Boolean(),
    auto_sync_interval_hours: Type.Integer(),
    sync_from_date: Type.Union([Type.String(), Type.Null()]),
    sync_to_date: Type.Union([Type.String(), Type.Null()]),
    sync_transactions: Type.Boolean(),
    sync_reimbursements: Type.Boolean(),
    sync_bills: Type.Boolean(),
    sync_transfers: Type.Boolean(),
    sync_cashbacks: Type.Boolean(),
    sync_bill_payments: Type.Boolean(),
    sync_statements: Type.Boolean(),
    sync_card_ids: Type.Union([Type.Array(Type.String()), Type.Null()]),
    sync_user_ids: Type.Union([Type.Array(Type.String()), Type.Null()]),
    sync_department_ids: Type.Union([Type.Array(Type.String()), Type.Null()]),
  },
  { $id: 'RampSyncConfig' },
);

/** Revokes refresh then access token; true when Ramp confirmed both (or there was nothing to revoke). */
async function revokeAtRamp(s: ConnectServices, row: RampConnectionsTable): Promise<{ revoked: boolean; reason?: string }> {
  let secrets;
  try {
    secrets = s.store.open(row);
  } catch (error) {
    // Not this replica's key yet: keep the connection (deleting it would leave the grant live at Ramp).
    if (isKeyUnavailable(error)) throw keyUnavailableError();
    if (error instanceof CredentialsCorruptError) return { revoked: false, reason: 'credentials_corrupt' };
    throw error;
  }
  const client: ClientCredentials | undefined =
    row.auth_method === 'client_credentials' ? { clientId: row.client_id ?? '', clientSecret: secrets.clientSecret ?? '' } : s.oauthApp;
  if (!client) return { revoked: false, reason: 'oauth_not_configured' };
  const apiBaseUrl = s.ctx.config.rampHosts[row.environment].apiBaseUrl;
  const results = [];
  // Revoking the refresh token first also ends its family's access tokens (RFC 7009 §2.1).
  if (secrets.refreshToken) results.push(await s.oauth.revoke(apiBaseUrl, client, secrets.refreshToken, 'refresh_token'));
  if (secrets.accessToken) results.push(await s.oauth.revoke(apiBaseUrl, client, secrets.accessToken, 'access_token'));
  const failed = results.find((r) => !r.ok);
  return failed && !failed.ok ? { revoked: false, reason: failed.failure.code } : { revoked: true };
}

export function connectionRoutes(app: FastifyInstance, s: ConnectServices): void {
  const { ctx } = s;

  app.get(
    '/api/v1/ramp/status',
    {
      config: { auth: { kind: 'business', minRole: 'viewer' } },
      schema: { tags: ['ramp'], summary: 'Connection health, transaction count and last sync', headers: BusinessHeaders, response: { 200: ConnectionView, ...errorResponses(400, 401, 403) } },
    },
    async (request) => {
      const { businessId } = authOf(request);
      return toConnectionView(await s.store.find(businessId), await s.summary(businessId));
    },
  );

  app.delete(
    '/api/v1/ramp/connection',
    {
      config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'disconnect' },
      schema: { tags: ['ramp'], summary: 'Disconnect Ramp (revokes the tokens at Ramp, then deletes them)', headers: BusinessHeaders, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 503) } },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const row = await s.store.find(auth.businessId);
      if (!row) throw new ApiError('ramp_not_connected');
      const revocation = await revokeAtRamp(s, row);
      await s.store.delete(row);
      await auditRequest(
        ctx.db.kysely,
        request,
        {
          outcome: revocation.revoked ? 'success' : 'partial',
          target: `connection_id=${row.id}`,
          detail: revocation.revoked ? 'revoked at Ramp and deleted' : `deleted locally; Ramp revocation failed: ${revocation.reason}`,
        },
        ctx.now(),
      );
      await s.events.emit(auth.businessId, 'connection.deleted', { connection_id: row.id, revoked_at_ramp: revocation.revoked });
      return reply.code(204).header('x-ramp-revocation', revocation.revoked ? 'revoked' : 'failed').send();
    },
  );

  app.get(
    '/api/v1/ramp/sync-config',
    {
      config: { auth: { kind: 'business', minRole: 'member' } },
      schema: { tags: ['ramp'], summary: 'Get the Ramp sync configuration', headers: BusinessHeaders, response: { 200: SyncConfigView, ...errorResponses(400, 401, 403) } },
    },
    async (request) => getSyncConfig(ctx.db.kysely, authOf(request).businessId),
  );

  app.put<{ Body: Static<typeof SyncConfigUpdate> }>(
    '/api/v1/ramp/sync-config',
    {
      config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'sync_config.update' },
      schema: {
        tags: ['ramp'],
        summary: 'Update the Ramp sync configuration (partial update)',
        headers: BusinessHeaders,
        body: SyncConfigUpdate,
        response: { 200: SyncConfigView, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const body = request.body;
      if (body.sync_from_date && body.sync_to_date && Date.parse(body.sync_from_date) > Date.parse(body.sync_to_date)) {
        throw new ApiError('invalid_request', 'sync_from_date must not be after sync_to_date');
      }
      return updateSyncConfig(ctx.db.kysely, authOf(request).businessId, body, ctx.now());
    },
  );
}
