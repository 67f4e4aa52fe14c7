/**
 * @module The "Ramp data" feature: API client, proxy, sync (manual, automatic, webhook), synced
 * record reads, the accounting ready feed and mark-synced. It lives in src/http because it registers routes: the domain code it
 * assembles (src/ramp, src/sync) never imports HTTP. src/features.ts wires it:
 *
 * @example
 * const data = rampDataFeature({ ctx, tokens, events });
 * // routes → buildApp(ctx, [...data.routes]); data.start() once listening; data.summary(id) for /status
 */
import type { SyncSummary } from '../../../connections/connect-services.ts';
import type { AppContext } from '../../../app-context.ts';
import type { EventSink } from '../../../events/event-sink.ts';
import type { RouteModule } from '../../app.ts';
import { readyFeedRoute } from '../accounting/ready-feed-route.ts';
import { markSyncedRoute } from './mark-synced-route.ts';
import { DEFAULT_PROXY_SETTINGS, proxyRoute, type ProxySettings } from './proxy-route.ts';
import { recordRoutes } from './records-routes.ts';
import { syncRoutes } from './sync-routes.ts';
import { webhooksRoute } from './webhooks-route.ts';
import { RampClient, type RampClientOptions } from '../../../ramp/ramp-client.ts';
import type { AccessTokenProvider } from '../../../ramp/access-token-provider.ts';
import { SyncService, type SyncServiceOptions } from '../../../sync/sync-service.ts';
import { webhookSecretFromEnv } from '../../../sync/webhook-config.ts';

export interface RampDataDeps {
  ctx: AppContext;
  tokens: AccessTokenProvider;
  events: EventSink;
}

/** Knobs for tests and benchmarks; production uses the defaults. */
export interface RampDataOptions {
  readonly client?: RampClientOptions;
  readonly sync?: SyncServiceOptions;
  readonly proxy?: Partial<ProxySettings>;
  /** Defaults to `RAMP_WEBHOOK_SECRET`. */
  readonly webhookSecret?: string;
}

export interface RampDataFeature {
  routes: RouteModule[];
  /** Starts the sync scheduler; it stops through `ctx.onClose`. */
  start(): Promise<void>;
  summary(businessId: string): Promise<SyncSummary>;
  /** The engine behind the routes (tests, CLI). */
  readonly syncs: SyncService;
  readonly client: RampClient;
}

export function rampDataFeature(deps: RampDataDeps, options: RampDataOptions = {}): RampDataFeature {
  const { ctx, tokens, events } = deps;
  const client = new RampClient(tokens, { log: ctx.log, ...options.client });
  const syncs = new SyncService({ db: ctx.db, client, tokens, events, log: ctx.log, now: ctx.now }, options.sync);
  ctx.onClose(() => syncs.stop(), 'syncs');
  const secret = options.webhookSecret ?? webhookSecretFromEnv();
  return {
    routes: [
      syncRoutes(syncs),
      recordRoutes(),
      proxyRoute(client, { ...DEFAULT_PROXY_SETTINGS, ...options.proxy }),
      markSyncedRoute(client, ctx.db.kysely, ctx.now),
      readyFeedRoute(),
      webhooksRoute(syncs, secret),
    ],
    start: async () => syncs.start(),
    summary: (businessId) => syncs.summary(businessId),
    syncs,
    client,
  };
}
