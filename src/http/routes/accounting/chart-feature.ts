/**
 * @module The chart-of-accounts feature: its service (src/accounting) and routes. src/features.ts
 * wires it beside the Ramp data feature, sharing that feature's Ramp client (one rate limit).
 */
import type { AppContext } from '../../../app-context.ts';
import { ChartService, type ChartServiceOptions } from '../../../accounting/chart-service.ts';
import type { RampClient } from '../../../ramp/ramp-client.ts';
import { processOwnerId } from '../../../sync/sync-service.ts';
import type { RouteModule } from '../../app.ts';
import { chartMigrationRoutes } from './chart-migration-routes.ts';
import { chartRoutes } from './chart-routes.ts';

export interface ChartFeature {
  readonly routes: RouteModule[];
  readonly service: ChartService;
  /** Starts the job scheduler; it stops through `ctx.onClose`. */
  start(): void;
}

export function chartFeature(ctx: AppContext, client: RampClient, options: Partial<ChartServiceOptions> = {}): ChartFeature {
  const service = new ChartService({ db: ctx.db, client, log: ctx.log, now: ctx.now }, { owner: processOwnerId(), ...options });
  ctx.onClose(() => service.stop(), 'chart jobs');
  return { routes: [chartRoutes(service), chartMigrationRoutes(service)], service, start: () => service.start() };
}
