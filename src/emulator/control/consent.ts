/**
 * @module Control plane: how the next `/v1/authorize` answers without a person.
 */
import type { FastifyInstance } from 'fastify';
import { ControlError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { EmulatorState } from '../state.ts';
import { ControlBody } from './body.ts';

export function registerConsentControlRoutes(app: FastifyInstance, state: EmulatorState): void {
  app.post('/consent', async (request) => {
    const body = new ControlBody(request.body);
    const decision = body.oneOf('decision', ['approve', 'deny'] as const);
    const role = body.oneOf('role', ['admin', 'owner', 'member'] as const) ?? 'admin';
    const businessId = body.string('business_id');
    const sticky = body.boolean('sticky') ?? false;
    body.rejectUnknown();
    if (decision === undefined) throw new ControlError(400, 'decision is required (approve or deny)');
    if (businessId !== undefined && !isUuid(businessId)) throw new ControlError(400, 'business_id must be a UUID');
    state.consent.preset({ decision, role, businessId: businessId?.toLowerCase() ?? null, sticky });
    return { decision, role, business_id: businessId?.toLowerCase() ?? state.demoBusinessId, sticky };
  });

  app.get('/consent', async () => {
    const current = state.consent.current();
    return current ? { decision: current.decision, role: current.role, business_id: current.businessId ?? state.demoBusinessId, sticky: current.sticky } : null;
  });

  app.delete('/consent', async (_request, reply) => {
    state.consent.clear();
    return reply.code(204).send();
  });
}
