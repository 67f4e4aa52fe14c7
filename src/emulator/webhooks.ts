/**
 * @module Outgoing webhooks (docs/ramp-behaviour.md#webhooks).
 *
 * Payload `{id, type, created_at, business_id, object: {id}}`, signed with
 * `X-Ramp-Webhook-Signature: hex(HMAC-SHA256(raw body, secret))`. Delivery is fire-and-forget with
 * Ramp's retry rules scaled down for tests: 2xx = done; 3xx/4xx except 429 = failed, no retry;
 * 429/5xx/timeout = retry (4 attempts here instead of Ramp's 10, backoff 100 ms × 3^n).
 * The event id is the same across retries, so receivers can test their idempotency.
 * These are the hand-made subscriptions of `/__emulator/webhooks`; subscriptions made through Ramp's
 * own API live in `webhooks/` and receive every emitted event through `onEmit`.
 */
import { createHmac } from 'node:crypto';
import { newUuid, newWebhookSecret } from './ids.ts';
import type { StatsRecorder } from './stats.ts';
import { formatRampTime } from './data/models.ts';
import { sleepUnlessAborted } from './abortable-sleep.ts';

export interface WebhookSubscription {
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  /** null = every event type. */
  readonly eventTypes: ReadonlySet<string> | null;
  /** null = every business. */
  readonly businessId: string | null;
  readonly createdAt: string;
}

export interface WebhookDelivery {
  subscription_id: string;
  event_id: string;
  type: string;
  object_id: string;
  attempts: number;
  last_status: number | null;
  outcome: 'pending' | 'delivered' | 'failed';
}

const MAX_ATTEMPTS = 4;
const BASE_BACKOFF_MS = 100;
/** Ramp gives receivers 10 s (B8). */
const DELIVERY_TIMEOUT_MS = 10_000;
const MAX_DELIVERY_LOG = 500;

export function signWebhookBody(rawBody: string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex');
}

export class WebhookDispatcher {
  readonly #subscriptions = new Map<string, WebhookSubscription>();
  readonly #deliveries: WebhookDelivery[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  /** Other consumers of every event (Ramp-API subscriptions); kept across `reset()`, they are wiring. */
  readonly #listeners: ((businessId: string, type: string, objectId: string, nowMs: number) => void)[] = [];
  #abort = new AbortController();
  readonly #stats: StatsRecorder;

  constructor(stats: StatsRecorder) {
    this.#stats = stats;
  }

  subscribe(input: { url: string; secret?: string | undefined; eventTypes?: readonly string[] | undefined; businessId?: string | undefined }, nowMs: number): WebhookSubscription {
    const subscription: WebhookSubscription = {
      id: newUuid(),
      url: input.url,
      secret: input.secret ?? newWebhookSecret(),
      eventTypes: input.eventTypes ? new Set(input.eventTypes) : null,
      businessId: input.businessId ?? null,
      createdAt: formatRampTime(nowMs),
    };
    this.#subscriptions.set(subscription.id, subscription);
    return subscription;
  }

  unsubscribe(id: string): boolean {
    return this.#subscriptions.delete(id);
  }

  subscriptions(): WebhookSubscription[] {
    return [...this.#subscriptions.values()];
  }

  deliveries(): WebhookDelivery[] {
    return structuredClone(this.#deliveries);
  }

  onEmit(listener: (businessId: string, type: string, objectId: string, nowMs: number) => void): void {
    this.#listeners.push(listener);
  }

  /** Queues one event per matching subscription; never throws, never blocks the caller. */
  emit(businessId: string, type: string, objectId: string, nowMs: number): void {
    for (const listener of this.#listeners) listener(businessId, type, objectId, nowMs);
    for (const subscription of this.#subscriptions.values()) {
      if (subscription.businessId !== null && subscription.businessId !== businessId) continue;
      if (subscription.eventTypes !== null && !subscription.eventTypes.has(type)) continue;
      const event = { id: newUuid(), type, created_at: formatRampTime(nowMs), business_id: businessId, object: { id: objectId } };
      const delivery: WebhookDelivery = { subscription_id: subscription.id, event_id: event.id, type, object_id: objectId, attempts: 0, last_status: null, outcome: 'pending' };
      this.#deliveries.push(delivery);
      if (this.#deliveries.length > MAX_DELIVERY_LOG) this.#deliveries.splice(0, this.#deliveries.length - MAX_DELIVERY_LOG);
      const task = this.#deliver(subscription, JSON.stringify(event), delivery).finally(() => this.#inFlight.delete(task));
      this.#inFlight.add(task);
    }
  }

  async #deliver(subscription: WebhookSubscription, rawBody: string, delivery: WebhookDelivery): Promise<void> {
    const signal = this.#abort.signal;
    const signature = signWebhookBody(rawBody, subscription.secret);
    for (let attempt = 0; attempt < MAX_ATTEMPTS && !signal.aborted; attempt++) {
      if (attempt > 0) await sleepUnlessAborted(BASE_BACKOFF_MS * 3 ** (attempt - 1), signal);
      if (signal.aborted) break;
      delivery.attempts += 1;
      this.#stats.countWebhook('attempts');
      let retryable: boolean;
      try {
        const response = await fetch(subscription.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-ramp-webhook-signature': signature, 'user-agent': 'Ramp-Webhooks-Emulator/1.0' },
          body: rawBody,
          redirect: 'manual',
          signal: AbortSignal.any([signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
        });
        await response.arrayBuffer().catch(() => undefined);
        delivery.last_status = response.status;
        if (response.status >= 200 && response.status < 300) {
          delivery.outcome = 'delivered';
          this.#stats.countWebhook('delivered');
          return;
        }
        retryable = response.status === 429 || response.status >= 500;
      } catch {
        retryable = true; // network error or timeout
      }
      if (!retryable) break;
    }
    delivery.outcome = 'failed';
    this.#stats.countWebhook('failed');
  }

  /** Waits for queued deliveries (tests) — resolves once nothing is in flight. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Cancels deliveries in flight and forgets subscriptions. */
  reset(): void {
    this.#abort.abort();
    this.#abort = new AbortController();
    this.#subscriptions.clear();
    this.#deliveries.length = 0;
  }

  close(): void {
    this.#abort.abort();
  }
}
