/**
 * @module The "Ramp webhooks" feature (docs/ramp-webhooks-plan.md): a subscription per connection
 * (src/ramp-webhooks/subscription-lifecycle.ts), its receiver route, and the worker that stores each
 * event's object. src/features.ts wires it:
 *
 * @example
 * const webhooks = rampWebhooksFeature({ ctx, vault, connections: store, client: data.client });
 * // services.hooks = webhooks.hooks; routes: webhooks.routes; webhooks.start() once listening
 */
import type { AppContext } from '../../../app-context.ts';
import type { ConnectionHooks, WebhookStatus } from '../../../connections/connect-services.ts';
import type { ConnectionStore } from '../../../connections/connection-store.ts';
import type { RampClient } from '../../../ramp/ramp-client.ts';
import { EventProcessor } from '../../../ramp-webhooks/event-processor.ts';
import { EventReceiver } from '../../../ramp-webhooks/event-receiver.ts';
import { WebhookLifecycle } from '../../../ramp-webhooks/subscription-lifecycle.ts';
import { SubscriptionStore } from '../../../ramp-webhooks/subscription-store.ts';
import type { Vault } from '../../../vault/vault.ts';
import type { RouteModule } from '../../app.ts';
import { subscriptionWebhookRoute } from './receiver-route.ts';

export interface RampWebhooksDeps {
  readonly ctx: AppContext;
  readonly vault: Vault;
  readonly connections: ConnectionStore;
  readonly client: RampClient;
}

/** How often each replica looks for due events and subscription jobs another replica did not take. */
const EVENT_TICK_MS = 1_000;
const JOB_TICK_MS = 2_000;
const PRUNE_EVERY_MS = 3600_000;

export interface RampWebhooksFeature {
  readonly routes: RouteModule[];
  readonly hooks: ConnectionHooks;
  /** The automatic sync's pace factor for a business: slower while its subscription is healthy. */
  autoSyncPace(businessId: string): Promise<number>;
  start(): void;
  readonly lifecycle: WebhookLifecycle;
  readonly processor: EventProcessor;
  readonly subscriptions: SubscriptionStore;
}

export function rampWebhooksFeature(deps: RampWebhooksDeps): RampWebhooksFeature {
  const { ctx, vault, connections, client } = deps;
  const subscriptions = new SubscriptionStore(ctx.db, vault);
  const lifecycle = new WebhookLifecycle({ ctx, client, connections, subscriptions });
  const processor = new EventProcessor(ctx, client);
  const receiver = new EventReceiver({ ctx, client, subscriptions, onAccepted: () => processor.kick() });
  const webhookStatus = async (businessId: string): Promise<WebhookStatus | null> => {
    const row = await subscriptions.find(businessId);
    if (!row) return null;
    let eventTypes: string[] = [];
    try {
      eventTypes = JSON.parse(row.event_types) as string[];
    } catch {
      // an unreadable list shows as none
    }
    return { status: row.status, reason: row.status_reason, event_types: eventTypes, last_event_at: row.last_event_at === null ? null : new Date(Number(row.last_event_at)).toISOString() };
  };
  return {
    routes: [subscriptionWebhookRoute(receiver)],
    hooks: { connected: (id) => lifecycle.connected(id), disconnecting: (id) => lifecycle.disconnecting(id), disconnected: (id, connectionId) => lifecycle.disconnected(id, connectionId), webhookStatus },
    autoSyncPace: async (businessId) => ((await lifecycle.healthy(businessId)) ? ctx.config.rampWebhooks.slowPollFactor : 1),
    start: () => {
      const timers = [
        setInterval(() => processor.kick(), EVENT_TICK_MS),
        setInterval(() => lifecycle.kick(), JOB_TICK_MS),
        setInterval(() => void processor.prune().catch((error: unknown) => ctx.log.warn({ err: error }, 'could not prune Ramp webhook events')), PRUNE_EVERY_MS),
      ];
      for (const timer of timers) timer.unref();
      ctx.onClose(async () => {
        for (const timer of timers) clearInterval(timer);
        // Awaited, so no pass is left using the database after it closes; their Ramp reads are aborted.
        await Promise.all([processor.stop(), lifecycle.stop()]);
      }, 'Ramp webhook jobs');
      void lifecycle
        .requeuePollingOnly()
        .catch((error: unknown) => ctx.log.warn({ err: error }, 'could not re-queue Ramp webhook subscriptions left on polling'))
        .finally(() => lifecycle.kick());
      processor.kick();
    },
    lifecycle,
    processor,
    subscriptions,
  };
}
