/**
 * @module What every route of one environment needs.
 */
import type { Environment } from './apps.ts';
import type { EmulatorState } from './state.ts';

export interface EnvironmentRouteContext {
  readonly state: EmulatorState;
  readonly environment: Environment;
  /** '' for production, '/sandbox' for sandbox. */
  readonly prefix: string;
}
