/**
 * @module Control plane: what clients did (`/__emulator/stats`) and grant state (`/__emulator/grants`).
 *
 * Grants expose the SHA-256 of the current refresh token, never the token, so a test can check
 * "stored refresh token = emulator's current one" (docs/guarantees.md#g39) without the
 * emulator handing out credentials.
 */
import type { FastifyInstance } from 'fastify';
import { ControlError } from '../errors.ts';
import { sha256Hex } from '../ids.ts';
import type { EmulatorState } from '../state.ts';
import { ControlBody } from './body.ts';

export function registerObservabilityControlRoutes(app: FastifyInstance, state: EmulatorState): void {
  app.get('/stats', async () => state.stats.snapshot());

  app.delete('/stats', async (_request, reply) => {
    state.stats.reset();
    return reply.code(204).send();
  });

  app.get<{ Querystring: { business_id?: string; client_id?: string } }>('/grants', async (request) => {
    const { business_id: businessId, client_id: clientId } = request.query;
    return state.tokens
      .families()
      .filter((family) => (businessId === undefined || family.businessId === businessId.toLowerCase()) && (clientId === undefined || family.clientId === clientId))
      .map((family) => ({
        family_id: family.id,
        client_id: family.clientId,
        business_id: family.businessId,
        environment: family.environment,
        scope: family.scopes.join(' '),
        revoked: family.revoked,
        revoked_reason: family.revokedReason,
        rotations: family.rotations,
        created_at: new Date(family.createdAt).toISOString(),
        current_refresh_token_sha256: sha256Hex(family.currentRefreshToken),
      }));
  });

  /** Revokes grants as Ramp would when a customer disconnects the app (docs/guarantees.md#g23). */
  app.post('/grants/revoke', async (request) => {
    const body = new ControlBody(request.body);
    const filter = { familyId: body.string('family_id'), clientId: body.string('client_id'), businessId: body.string('business_id')?.toLowerCase() };
    body.rejectUnknown();
    if (filter.familyId === undefined && filter.clientId === undefined && filter.businessId === undefined) {
      throw new ControlError(400, 'Give family_id, client_id and/or business_id (use faults {revoke_all: true} to revoke everything)');
    }
    return { revoked_families: state.tokens.revokeWhere(filter, 'revoked through the control plane') };
  });
}
