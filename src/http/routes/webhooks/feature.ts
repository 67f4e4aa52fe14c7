/**
 * @module Durable events and outbound webhooks, assembled for a server process: the outbox sink other
 * features emit into, the delivery worker, and the `/api/v1/webhooks*` and `/api/v1/events` routes.
 * It lives in src/http because it registers routes; src/events never imports HTTP. `src/features.ts`
 * wires it; `start()` runs once the server listens.
 */
import type { LookupFunction } from 'node:net';
import type { AppContext } from '../../../app-context.ts';
import type { RouteModule } from '../../app.ts';
import { eventRoutes } from './events.ts';
import type { WebhookServices } from './services.ts';
import { webhookDeliveryRoutes } from './webhook-deliveries.ts';
import { webhookEndpointRoutes } from './webhook-endpoints.ts';
import type { Vault } from '../../../vault/vault.ts';
import { DeliveryWorker, type DeliveryOptions } from '../../../events/delivery-worker.ts';
import { OutboxEventSink } from '../../../events/outbox-event-sink.ts';
import { WebhookEndpointStore } from '../../../events/webhook-endpoint-store.ts';

export interface EventsFeatureDeps {
  readonly ctx: AppContext;
  readonly vault: Vault;
  /** Idle poll interval of the delivery worker; default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** The HTTP client deliveries use (tests inject one); default undici's, refusing private addresses unless configured. */
  readonly fetch?: typeof fetch;
  /** The resolver deliveries connect with (tests: a name that resolves to a private address); default `dns.lookup`. */
  readonly lookup?: LookupFunction;
  /** Finer worker settings (backoff, attempts, lease, timeouts), mainly for tests. */
  readonly delivery?: Partial<DeliveryOptions>;
}

export interface EventsFeature {
  readonly sink: OutboxEventSink;
  readonly routes: RouteModule[];
  /** Starts the worker; it stops through `ctx.onClose`. */
  start(): Promise<void>;
  readonly worker: DeliveryWorker;
  readonly store: WebhookEndpointStore;
}

export function eventsFeature(deps: EventsFeatureDeps): EventsFeature {
  const { ctx, vault } = deps;
  const store = new WebhookEndpointStore(ctx.db, vault, ctx.now);
  const worker = new DeliveryWorker({
    db: ctx.db,
    store,
    log: ctx.log.child({ component: 'webhooks' }),
    now: ctx.now,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    egress: { allowPrivateAddresses: ctx.config.webhookAllowPrivateUrls, ...(deps.lookup ? { lookup: deps.lookup } : {}) },
    options: { ...deps.delivery, ...(deps.pollIntervalMs === undefined ? {} : { pollIntervalMs: deps.pollIntervalMs }) },
  });
  // Committed emits wake the local worker, so a webhook leaves within milliseconds, not a poll interval.
  const sink = new OutboxEventSink(ctx.db, ctx.now, () => worker.kick());
  const services: WebhookServices = { ctx, store };
  const routes: RouteModule[] = [
    (app) => webhookEndpointRoutes(app, services),
    (app) => webhookDeliveryRoutes(app, services),
    (app) => eventRoutes(app, services),
  ];
  let started = false;
  return {
    sink,
    routes,
    worker,
    store,
    start: async () => {
      if (started) return;
      started = true;
      worker.start();
      ctx.onClose(() => worker.stop(), 'webhook deliveries');
    },
  };
}
