/**
 * @module The features a server process runs beyond the foundation: their routes and background jobs.
 * One place to see what a replica does.
 */
import type { AppContext } from './app-context.ts';
import type { RunningEmulator } from './emulator/index.ts';
import type { RouteModule } from './http/app.ts';

export interface Features {
  readonly routes: RouteModule[];
  /** Starts background work (schedulers); called once the server listens. */
  start(): Promise<void>;
}

export async function assembleFeatures(_ctx: AppContext, _env: { emulator: RunningEmulator | undefined }): Promise<Features> {
  return { routes: [], start: async () => {} };
}
