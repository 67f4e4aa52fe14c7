/**
 * @module The control plane, mounted at `/__emulator` (root only; never part of real Ramp).
 */
import type { FastifyInstance } from 'fastify';
import type { EmulatorState } from '../state.ts';
import { registerAccountingControlRoutes } from './accounting.ts';
import { registerAppControlRoutes } from './apps.ts';
import { registerConsentControlRoutes } from './consent.ts';
import { registerDataControlRoutes } from './data.ts';
import { registerFaultControlRoutes } from './faults.ts';
import { registerLifecycleControlRoutes } from './lifecycle.ts';
import { registerObservabilityControlRoutes } from './observability.ts';
import { registerRampWebhookControlRoutes } from '../webhooks/control.ts';
import { registerWebhookControlRoutes } from './webhooks.ts';

export const CONTROL_PREFIX = '/__emulator';

export async function registerControlPlane(app: FastifyInstance, state: EmulatorState): Promise<void> {
  await app.register(
    async (control) => {
      registerAppControlRoutes(control, state);
      registerConsentControlRoutes(control, state);
      registerFaultControlRoutes(control, state);
      registerDataControlRoutes(control, state);
      registerAccountingControlRoutes(control, state);
      registerObservabilityControlRoutes(control, state);
      registerWebhookControlRoutes(control, state);
      registerRampWebhookControlRoutes(control, state);
      registerLifecycleControlRoutes(control, state);
    },
    { prefix: CONTROL_PREFIX },
  );
}
