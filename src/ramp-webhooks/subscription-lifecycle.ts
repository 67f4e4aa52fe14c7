/**
 * @module A Ramp webhook subscription per connection, kept alive (docs/ramp-webhooks-plan.md):
 * - after a connect, `connected` queues the subscribe job; `runDue` (any replica, claimed with
 *   src/core/claim-due.ts) creates it at Ramp with the connection's own token, for the event types its
 *   scopes allow, in the order that lets the challenge always be checked: row with a fresh route key
 *   first, then Ramp's create, then the sealed secret (until then the receiver answers 503 and Ramp
 *   sends the challenge again);
 * - the reconciler (the same claimed job on `next_check_at`) re-creates a subscription Ramp lost (404),
 *   disabled (`inactive`), left unverified too long, or made for other scopes than the connection has now;
 * - `disconnecting` deletes it at Ramp before the tokens are revoked (afterwards there is no token to
 *   do it with) and leaves our row `disabled` (reason `disconnecting`), due again once the disconnect
 *   has had time to seal the connection; a failure is logged and does not block the disconnect.
 *   `disconnected` deletes the row once the connection is gone. A disconnect that never got that far
 *   (answered 503, or its process killed before the seal) leaves a connected connection whose row
 *   comes due and is re-created like any other disabled one.
 * When `PUBLIC_URL` is not HTTPS outside emulator mode, Ramp could not call us: `polling_only`.
 */
import type { AppContext } from '../app-context.ts';
import type { ConnectionStore } from '../connections/connection-store.ts';
import { ApiError } from '../core/errors.ts';
import { fullJitterDelay } from '../support/backoff.ts';
import { CoalescedPass } from '../support/coalesced-pass.ts';
import { createSubscriptionCall, deleteSubscriptionCall, getSubscriptionCall, NOT_FOUND } from '../ramp/endpoints/webhook-subscriptions.ts';
import type { RampClient } from '../ramp/ramp-client.ts';
import { eventTypesForScopes } from './event-types.ts';
import { newRouteKey, type SubscriptionRow, type SubscriptionStore } from './subscription-store.ts';

/** A claimed row is this replica's for this long (Ramp calls included). */
const CLAIM_MS = 60_000;
const BATCH = 10;
/** A check may come this late (job ticks, a slow Ramp) before the subscription stops counting as healthy. */
const HEALTH_SLACK_MS = 60_000;
/** Failed creates and checks are retried with backoff up to this wait. */
const RETRY_BACKOFF = { baseMs: 5_000, capMs: 15 * 60_000 } as const;
/**
 * A row left by `disconnecting` comes due this long after the disconnect may seal the connection (it
 * waits up to a refresh lease's lifetime plus 5 s, connect-service.ts): a pass running before then
 * could re-subscribe a connection being disconnected.
 */
const DISCONNECT_SETTLE_MS = 60_000;
/** Calls made from the job give up sooner than the client's default, so one slow Ramp does not stall the claim. */
const CALL_OPTIONS = { deadlineMs: 30_000, maxAttempts: 3 } as const;

export interface WebhookLifecycleDeps {
  readonly ctx: AppContext;
  readonly client: RampClient;
  readonly connections: ConnectionStore;
  readonly subscriptions: SubscriptionStore;
}

/** The endpoint Ramp is given for a row. */
export function endpointUrl(publicUrl: string, routeKey: string): string {
  return `${publicUrl}/api/v1/ramp/webhooks/${routeKey}`;
}

/** Ramp only calls HTTPS endpoints; the emulator also calls plain HTTP on loopback. */
export function canReceive(ctx: AppContext): boolean {
  return ctx.config.rampEnv === 'emulator' || ctx.config.publicUrl.startsWith('https://');
}

const sameTypes = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join(' ') === [...b].sort().join(' ');

function reasonOf(error: unknown): string {
  return error instanceof ApiError ? error.code : 'internal_error';
}

export class WebhookLifecycle {
  readonly #d: WebhookLifecycleDeps;
  /** Runs due jobs in the background; a kick during a pass (a job queued meanwhile) makes it go again. */
  readonly #pass: CoalescedPass;

  constructor(deps: WebhookLifecycleDeps) {
    this.#d = deps;
    this.#pass = new CoalescedPass(() => this.runDue(), (error) => this.#d.ctx.log.error({ err: error }, 'Ramp webhook subscription pass failed'));
  }

  /** After a successful connect (either grant): queue the subscribe job and start it here. */
  async connected(businessId: string): Promise<void> {
    const { ctx, connections, subscriptions } = this.#d;
    if (!ctx.config.rampWebhooks.subscribe) return;
    const connection = await connections.find(businessId);
    if (!connection || connection.status !== 'connected') return;
    await subscriptions.queueCreate({ businessId, connectionId: connection.id, environment: connection.environment, now: ctx.now() });
    this.kick();
  }

  /**
   * Before the tokens are revoked: delete the subscription at Ramp and leave our row disabled, due
   * again after the disconnect has had time to seal the connection (`DISCONNECT_SETTLE_MS`). The row
   * stays because the disconnect can still fail: the job then finds a connected connection and
   * subscribes it again; otherwise `disconnected`, or the job finding no connection, deletes it.
   * Never throws: Ramp failing leaves the row as it was.
   */
  async disconnecting(businessId: string): Promise<void> {
    const { ctx, client, subscriptions } = this.#d;
    try {
      const row = await subscriptions.find(businessId);
      if (!row) return;
      if (row.ramp_subscription_id) await client.call(businessId, deleteSubscriptionCall(row.ramp_subscription_id), CALL_OPTIONS);
      const now = ctx.now();
      await subscriptions.update(row, row.route_key, {
        ramp_subscription_id: null,
        ramp_business_id: null,
        secret: null,
        status: 'disabled',
        status_reason: 'disconnecting',
        verified_at: null,
        updated_at: now,
        next_check_at: now + ctx.config.refreshLeaseMs + DISCONNECT_SETTLE_MS,
      });
    } catch (error) {
      ctx.log.warn({ err: error, business_id: businessId }, 'could not delete the Ramp webhook subscription before disconnecting');
    }
  }

  /**
   * The connection is gone: its row goes too (not a row a new connection has since made its own). Never
   * throws. A subscription `disconnecting` could not delete at Ramp (a needs_reauth connection's token
   * is dead) is still live there: the row keeps only its id, under a route key nothing was told and
   * with no secret, so events sent to it are refused, and the business's next connect deletes it with
   * its new token (`queueCreate` keeps the id).
   */
  async disconnected(businessId: string, connectionId: string): Promise<void> {
    try {
      const { subscriptions, ctx } = this.#d;
      const row = await subscriptions.find(businessId);
      if (row && row.connection_id === connectionId && row.ramp_subscription_id) {
        const now = ctx.now();
        await subscriptions.update(row, row.route_key, {
          route_key: newRouteKey(),
          secret: null,
          ramp_business_id: null,
          status: 'disabled',
          status_reason: 'left_at_ramp',
          verified_at: null,
          next_check_at: null,
          updated_at: now,
        });
        return;
      }
      await subscriptions.deleteOfConnection(businessId, connectionId);
    } catch (error) {
      this.#d.ctx.log.warn({ err: error, business_id: businessId }, 'could not delete the webhook subscription row of a deleted connection; the subscription job will');
    }
  }

  /**
   * No further passes (the process is closing); the running one gives up its Ramp reads and deletes
   * and is awaited. A create already sent (a POST, sent once) is let finish: aborting it could leave a
   * subscription at Ramp that no row knows of. Rows it claimed and did not handle are taken again once
   * the claim lapses.
   */
  stop(): Promise<void> {
    return this.#pass.stop();
  }

  /** Options of the job's reads and deletes: given up when the process closes (repeated on the next pass). */
  get #abortableCall() {
    return { ...CALL_OPTIONS, signal: this.#pass.signal };
  }

  /** Runs due jobs in the background; a call while a pass is running makes it go again. Never throws. */
  kick(): void {
    this.#pass.kick();
  }

  /** One pass over due rows: create, check a pending one, reconcile an active one. Returns how many were handled. */
  async runDue(): Promise<number> {
    const { ctx, subscriptions } = this.#d;
    const stopped = this.#pass.signal;
    let handled = 0;
    while (!stopped.aborted) {
      const rows = await subscriptions.claimDue(ctx.now(), CLAIM_MS, BATCH);
      if (rows.length === 0) return handled;
      for (const row of rows) {
        if (stopped.aborted) break;
        try {
          await this.#handle(row);
        } catch (error) {
          // Stopping is not the job's fault: its claim lapses and it runs again.
          if (stopped.aborted) break;
          ctx.log.warn({ err: error, business_id: row.business_id }, 'Ramp webhook subscription job failed; will retry');
          await this.#retryLater(row, reasonOf(error));
        }
        handled++;
      }
    }
    return handled;
  }

  async #handle(row: SubscriptionRow): Promise<void> {
    const { connections, subscriptions } = this.#d;
    const connection = await connections.find(row.business_id);
    if (!connection || connection.status === 'revoke_pending') {
      await subscriptions.delete(row.business_id);
      return;
    }
    // Needs a person to reconnect: nothing can be called now; checked again later.
    if (connection.status !== 'connected') return this.#retryLater(row, 'reauthorization_required');
    const wanted = eventTypesForScopes(connection.scopes.split(' ').filter(Boolean));
    // Left by a disconnect that did not go through: events were missed meanwhile, as after a loss.
    if (row.status === 'disabled' && row.status_reason === 'disconnecting') await this.#pullInAutoSync(row.business_id);
    if (row.status === 'creating' || row.status === 'failed' || row.status === 'disabled' || row.ramp_subscription_id === null) return this.#create(row, wanted);
    const found = await this.#d.client.call(row.business_id, getSubscriptionCall(row.ramp_subscription_id), this.#abortableCall);
    const now = this.#d.ctx.now();
    if (found === NOT_FOUND) return this.#recreate(row, wanted, 'lost_at_ramp');
    if (found.status === 'inactive') return this.#recreate(row, wanted, 'disabled_at_ramp');
    if (!sameTypes(found.event_types, wanted)) return this.#recreate(row, wanted, 'scopes_changed');
    if (found.status === 'pending_verification') {
      if (now - row.updated_at >= this.#d.ctx.config.rampWebhooks.pendingTimeoutMs) return this.#recreate(row, wanted, 'never_verified');
      await subscriptions.update(row, row.route_key, { next_check_at: row.updated_at + this.#d.ctx.config.rampWebhooks.pendingTimeoutMs });
      return;
    }
    // Verified at Ramp (perhaps by another replica's challenge answer): healthy.
    await subscriptions.update(row, row.route_key, {
      status: 'active',
      status_reason: null,
      verified_at: row.verified_at ?? now,
      last_checked_at: now,
      attempts: 0,
      next_check_at: now + this.#d.ctx.config.rampWebhooks.reconcileMs,
    });
  }

  async #recreate(row: SubscriptionRow, wanted: readonly string[], reason: string): Promise<void> {
    this.#d.ctx.log.info({ business_id: row.business_id, reason }, 're-creating the Ramp webhook subscription');
    await this.#d.subscriptions.update(row, row.route_key, { status: 'disabled', status_reason: reason, updated_at: this.#d.ctx.now() });
    await this.#pullInAutoSync(row.business_id);
    return this.#create({ ...row, status: 'disabled', status_reason: reason }, wanted);
  }

  async #create(row: SubscriptionRow, wanted: readonly string[]): Promise<void> {
    const { ctx, client, subscriptions } = this.#d;
    const now = ctx.now();
    if (!canReceive(ctx)) {
      await subscriptions.update(row, row.route_key, { status: 'polling_only', status_reason: 'public_url_not_https', next_check_at: null, updated_at: now });
      return;
    }
    if (wanted.length === 0) {
      await subscriptions.update(row, row.route_key, { status: 'polling_only', status_reason: 'no_event_scopes', event_types: '[]', next_check_at: null, updated_at: now });
      return;
    }
    // The previous subscription (disabled, lost, never verified, other scopes) stops delivering first.
    if (row.ramp_subscription_id) await this.#deletePrevious(row, row.ramp_subscription_id);
    // 1. A fresh route key, no secret: a challenge arriving before step 3 gets 503 and comes again.
    const routeKey = newRouteKey();
    const reserved = await subscriptions.update(row, row.route_key, {
      route_key: routeKey,
      ramp_subscription_id: null,
      ramp_business_id: null,
      secret: null,
      event_types: JSON.stringify(wanted),
      status: 'creating',
      verified_at: null,
      updated_at: now,
    });
    if (!reserved) return;
    // 2. Ramp's create (sent once: a POST is never retried by the client).
    let created;
    try {
      created = await client.call(row.business_id, createSubscriptionCall({ endpoint_url: endpointUrl(ctx.config.publicUrl, routeKey), event_types: wanted }), CALL_OPTIONS);
    } catch (error) {
      await this.#retryLater({ ...row, route_key: routeKey }, reasonOf(error));
      return;
    }
    // 3. Ramp's id, business and sealed secret; verified when the challenge is answered (event-receiver.ts).
    // `business_id` is optional in Ramp's create answer: without it, the signed challenge names it.
    const at = ctx.now();
    await subscriptions.update(row, routeKey, {
      ramp_subscription_id: created.id,
      ramp_business_id: typeof created.business_id === 'string' ? created.business_id : null,
      secret: subscriptions.sealSecret(row, created.secret),
      status: 'pending',
      status_reason: null,
      attempts: 0,
      updated_at: at,
      next_check_at: at + ctx.config.rampWebhooks.pendingTimeoutMs,
    });
  }

  /**
   * Deletes the subscription a new one replaces. A `creating` row's is a replaced connection's
   * (`queueCreate` keeps its id): another app's token may not be allowed to delete it, and that must
   * not keep the new connection from being subscribed, so a failure there is logged and passed over.
   * Any other row's is this connection's own, and a failure is retried (the old one still delivers).
   */
  async #deletePrevious(row: SubscriptionRow, rampSubscriptionId: string): Promise<void> {
    try {
      await this.#d.client.call(row.business_id, deleteSubscriptionCall(rampSubscriptionId), this.#abortableCall);
    } catch (error) {
      if (row.status !== 'creating' || this.#pass.signal.aborted) throw error;
      this.#d.ctx.log.warn({ err: error, business_id: row.business_id }, "could not delete the replaced connection's Ramp webhook subscription; subscribing the new one anyway");
    }
  }

  async #retryLater(row: SubscriptionRow, reason: string): Promise<void> {
    const now = this.#d.ctx.now();
    const failed = row.status === 'creating' || row.status === 'failed';
    await this.#d.subscriptions.update(row, row.route_key, {
      ...(failed ? { status: 'failed' as const } : {}),
      status_reason: reason,
      attempts: row.attempts + 1,
      next_check_at: now + RETRY_BACKOFF.baseMs + fullJitterDelay(row.attempts, RETRY_BACKOFF),
    });
  }

  /** The subscription stopped working: the next automatic sync runs now, to catch what was missed. */
  async #pullInAutoSync(businessId: string): Promise<void> {
    const now = this.#d.ctx.now();
    await this.#d.ctx.db.kysely.updateTable('ramp_sync_configs').set({ next_auto_sync_at: now }).where('business_id', '=', businessId).where('next_auto_sync_at', '>', now).execute();
  }

  /**
   * At start: connections left on polling because Ramp could not call us are queued again once it can
   * (PUBLIC_URL changed to HTTPS).
   */
  async requeuePollingOnly(): Promise<number> {
    const { ctx } = this.#d;
    if (!ctx.config.rampWebhooks.subscribe || !canReceive(ctx)) return 0;
    const result = await ctx.db.kysely
      .updateTable('ramp_webhook_subscriptions')
      .set({ status: 'creating', status_reason: null, next_check_at: ctx.now() })
      .where('status', '=', 'polling_only')
      .where('status_reason', '=', 'public_url_not_https')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Whether automatic syncs may run at the slow pace: active and confirmed at Ramp recently. */
  async healthy(businessId: string): Promise<boolean> {
    const row = await this.#d.subscriptions.find(businessId);
    if (!row || row.status !== 'active' || row.last_checked_at === null) return false;
    const { reconcileMs } = this.#d.ctx.config.rampWebhooks;
    return this.#d.ctx.now() - row.last_checked_at <= Math.max(2 * reconcileMs, reconcileMs + HEALTH_SLACK_MS);
  }
}
