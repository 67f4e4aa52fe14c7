/**
 * @module Control plane: fault switches (`/__emulator/faults`), merged into the current set.
 */
import type { FastifyInstance } from 'fastify';
import { defaultFaults, parseFaultsBody } from '../faults.ts';
import type { EmulatorState } from '../state.ts';

export function registerFaultControlRoutes(app: FastifyInstance, state: EmulatorState): void {
  app.post('/faults', async (request) => {
    const { patch, actions } = parseFaultsBody(request.body ?? {});
    if (actions.reset) {
      state.faults = defaultFaults();
      state.rateLimiter.clear();
    }
    state.faults = { ...state.faults, ...patch };
    if (patch.rate_limit !== undefined) state.rateLimiter.clear();
    if (actions.revokeAll) state.tokens.revokeWhere({}, 'revoke_all fault');
    if (actions.releaseHangs) state.releaseHangs();
    return state.faults;
  });

  app.get('/faults', async () => state.faults);
}
