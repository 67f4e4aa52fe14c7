/**
 * @module The features a server process runs beyond the foundation: their services, routes and
 * background jobs. One place to see what a replica does.
 */
import type { AppContext } from './app-context.ts';
import { ConnectionStore } from './connections/connection-store.ts';
import type { ConnectServices } from './connections/connect-services.ts';
import type { RunningEmulator } from './emulator/index.ts';
import type { EventSink } from './events/event-sink.ts';
import { eventsFeature } from './http/routes/webhooks/feature.ts';
import type { RouteModule } from './http/app.ts';
import { connectWithCredentialsRoute } from './http/routes/ramp/connect-with-credentials.ts';
import { connectionRoutes } from './http/routes/ramp/connection.ts';
import { oauthRedirectRoutes } from './http/routes/ramp/oauth-redirect.ts';
import { RampOAuthClient } from './oauth/ramp-oauth-client.ts';
import { rampClientLimits } from './ramp/shared-rate-limiter.ts';
import { emulatorDefaultApp } from './emulator/default-app.ts';
import { assertKeyRingReadsStoredRows } from './vault/key-ring-check.ts';
import type { ClientCredentials } from './oauth/token-endpoint.ts';
import { tokenRoute } from './http/routes/ramp/token.ts';
import { RefreshScheduler } from './tokens/refresh-scheduler.ts';
import { ConnectService } from './connections/connect-service.ts';
import { TokenManager } from './tokens/token-manager.ts';
import { loadKeyRing } from './vault/keyring.ts';
import { webRoutes } from './web/routes.ts';
import { rampDataFeature } from './http/routes/ramp-data/feature.ts';
import { chartFeature } from './http/routes/accounting/chart-feature.ts';
import { rampWebhooksFeature, type RampWebhooksFeature } from './http/routes/ramp-webhooks/feature.ts';
import { Vault } from './vault/vault.ts';

export interface Features {
  readonly routes: RouteModule[];
  readonly services: ConnectServices;
  readonly tokens: TokenManager;
  readonly scheduler: RefreshScheduler;
  /** Ramp webhook subscriptions, receiver and event worker. */
  readonly webhooks: RampWebhooksFeature;
  /** Starts background work (schedulers); called once the server listens. */
  start(): Promise<void>;
}

// A file key ring is re-read this often so `ramp-connect keys rotate` takes effect without a restart.
const KEY_REFRESH_INTERVAL_MS = 2_000;

export function oauthAppFor(ctx: AppContext, emulator: RunningEmulator | undefined): ClientCredentials | undefined {
  if (ctx.config.rampClientId && ctx.config.rampClientSecret) return { clientId: ctx.config.rampClientId, clientSecret: ctx.config.rampClientSecret };
  if (emulator) return { clientId: emulator.defaultApp.client_id, clientSecret: emulator.defaultApp.client_secret };
  // An emulator in another process (`RAMP_API_BASE_URL`, or the CLI beside `serve`) has the same default app.
  if (ctx.config.rampEnv === 'emulator') return emulatorDefaultApp();
  return undefined;
}

/** The token side of a process (also used by CLI commands that call Ramp): vault, store, events, TokenManager. */
export function createTokenRuntime(ctx: AppContext, emulator: RunningEmulator | undefined) {
  const keys = loadKeyRing(ctx.config, (message) => ctx.log.warn(message));
  const vault = new Vault(keys);
  const store = new ConnectionStore(ctx.db, vault, ctx.now);
  const eventing = eventsFeature({ ctx, vault });
  const oauth = new RampOAuthClient();
  const oauthApp = oauthAppFor(ctx, emulator);
  const tokens = new TokenManager({
    ctx,
    store,
    oauth,
    oauthApp,
    events: eventing.sink,
    leaseMs: ctx.config.refreshLeaseMs,
  });
  return { keys, vault, store, eventing, oauth, oauthApp, tokens };
}

export async function assembleFeatures(ctx: AppContext, env: { emulator: RunningEmulator | undefined }): Promise<Features> {
  const { keys, vault, store, eventing, oauth, oauthApp, tokens } = createTokenRuntime(ctx, env.emulator);
  await assertKeyRingReadsStoredRows(ctx.db, vault);
  if (keys.file) {
    const timer = setInterval(() => {
      try {
        if (vault.refreshKeys()) ctx.log.info({ active_kid: vault.activeKid }, 'encryption key ring reloaded');
      } catch (error) {
        ctx.log.error({ err: error }, 'could not reload the encryption key ring; keeping the current one');
      }
    }, KEY_REFRESH_INTERVAL_MS);
    timer.unref();
    ctx.onClose(() => clearInterval(timer), 'key ring reload');
  }
  const events: EventSink = eventing.sink;
  // The sync paces itself by the webhook subscription, which needs the sync's Ramp client: bound after both exist.
  const pace = { of: async (_businessId: string) => 1 };
  const data = rampDataFeature(
    { ctx, tokens, events },
    { client: rampClientLimits(ctx.db, ctx.config.rampRequestsPer10s, ctx.log), sync: { autoSyncPace: (businessId) => pace.of(businessId) } },
  );
  const webhooks = rampWebhooksFeature({ ctx, vault, connections: store, client: data.client });
  pace.of = (businessId) => webhooks.autoSyncPace(businessId);
  const services: ConnectServices = {
    ctx,
    store,
    oauth,
    oauthApp,
    events,
    summary: async (businessId) => ({ ...(await data.summary(businessId)), accounting_connection: await chart.service.seenConnection(businessId) }),
    hooks: webhooks.hooks,
  };
  const chart = chartFeature(ctx, data.client);
  const scheduler = new RefreshScheduler({ ctx, manager: tokens, intervalMs: ctx.config.refreshIntervalMs, leaseMs: ctx.config.refreshLeaseMs });
  const routes: RouteModule[] = [
    (app) => connectWithCredentialsRoute(app, services),
    (app) => oauthRedirectRoutes(app, services),
    (app) => connectionRoutes(app, services),
    (app) => tokenRoute(app, tokens),
    ...eventing.routes,
    ...data.routes,
    ...chart.routes,
    ...webhooks.routes,
    (app) => webRoutes(app, ctx),
  ];
  return {
    routes,
    services,
    tokens,
    scheduler,
    webhooks,
    start: async () => {
      await eventing.start();
      await data.start();
      chart.start();
      webhooks.start();
      if (ctx.config.refreshIntervalMs > 0) {
        scheduler.start();
        ctx.onClose(() => scheduler.stop(), 'token refresh scheduler');
        // Disconnects Ramp could not confirm are retried on the refresh scheduler's beat (docs/guarantees.md#g43).
        const revocations = new ConnectService(services);
        const timer = setInterval(() => {
          revocations.retryRevocations().catch((error: unknown) => ctx.log.error({ err: error }, 'revocation retry pass failed'));
        }, ctx.config.refreshIntervalMs);
        timer.unref();
        ctx.onClose(() => clearInterval(timer), 'revocation retries');
      }
    },
  };
}
