/**
 * @module Control plane: reset, the emulator clock, and a self-description.
 */
import type { FastifyInstance } from 'fastify';
import { environmentPrefix } from '../apps.ts';
import type { EmulatorState } from '../state.ts';
import { ControlBody } from './body.ts';

export function registerLifecycleControlRoutes(app: FastifyInstance, state: EmulatorState): void {
  app.post('/reset', async () => {
    state.reset();
    return { ok: true, demo_business_id: state.demoBusinessId, default_client_id: state.defaultApp.clientId };
  });

  /** Moves token/code expiry time forward without sleeping (10-minute codes, 10-day tokens). */
  app.post('/clock', async (request) => {
    const body = new ControlBody(request.body);
    const advanceS = body.number('advance_s', 0, 10 * 365 * 86_400);
    const reset = body.boolean('reset') ?? false;
    body.rejectUnknown();
    if (reset) state.clock.reset();
    if (advanceS !== undefined) state.clock.advance(advanceS);
    return { now: new Date(state.clock.now()).toISOString(), offset_s: state.clock.offsetMs / 1000 };
  });

  app.get('/', async (request) => {
    const host = `http://${request.headers.host ?? request.host}`;
    return {
      name: 'Ramp emulator',
      demo_business_id: state.demoBusinessId,
      default_client_id: state.defaultApp.clientId,
      environments: Object.fromEntries(
        (['production', 'sandbox'] as const).map((environment) => [
          environment,
          { authorize_url: `${host}${environmentPrefix(environment)}/v1/authorize`, api_base_url: `${host}${environmentPrefix(environment)}/developer/v1` },
        ]),
      ),
    };
  });
}
