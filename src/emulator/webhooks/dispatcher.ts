/**
 * @module Delivery of signed webhook messages, with Ramp's retry rules and a log of every attempt.
 *
 * Per message: wait `delay_ms`, then up to `max_attempts` POSTs of the same raw body (hence the same
 * event id and signature) with `X-Ramp-Webhook-Signature: hex(HMAC-SHA256(body, secret))`.
 * 2xx → delivered; 3xx and 4xx other than 429 → dropped at once; 429, 5xx, timeouts and network
 * errors → retried after `random(0, base_delay_ms × 2^(n-1))` (full jitter) until attempts run out.
 * Before each attempt the subscription is looked up again, so deleting or disabling it stops its
 * retries. At most `max_concurrency` requests are in flight; waiting messages keep their order.
 */
import { performance } from 'node:perf_hooks';
import { sleepUnlessAborted } from '../abortable-sleep.ts';
import { newUuid } from '../ids.ts';
import { signWebhookBody } from '../webhooks.ts';
import type { DeliveryConfig } from './delivery-config.ts';
import type { WebhookSubscriptionRecord } from './subscriptions.ts';

export type MessageKind = 'event' | 'challenge';

export interface OutgoingMessage {
  readonly kind: MessageKind;
  readonly eventId: string;
  readonly type: string;
  readonly objectId: string;
  readonly businessId: string;
  readonly rawBody: string;
}

export type DeliveryOutcome = 'queued' | 'in_flight' | 'retry_wait' | 'delivered' | 'dropped' | 'gave_up' | 'cancelled';
export type AttemptResult = 'in_flight' | 'delivered' | 'retry' | 'dropped' | 'gave_up' | 'cancelled';

export interface DeliveryRecord {
  delivery_id: string;
  subscription_id: string;
  business_id: string;
  event_id: string;
  type: string;
  object_id: string;
  kind: MessageKind;
  /** A copy sent by the `duplicate_rate` switch. */
  duplicate: boolean;
  queued_at: string;
  attempts: number;
  last_status: number | null;
  outcome: DeliveryOutcome;
}

export interface AttemptRecord {
  delivery_id: string;
  subscription_id: string;
  business_id: string;
  event_id: string;
  type: string;
  object_id: string;
  kind: MessageKind;
  duplicate: boolean;
  /** 1 for the first delivery, 2 for the first retry, … */
  attempt: number;
  /** Global order in which attempts started. */
  sequence: number;
  started_at: string;
  duration_ms: number | null;
  response_status: number | null;
  error: 'timeout' | 'network' | null;
  result: AttemptResult;
  /** The backoff drawn before the next attempt, when there is one. */
  next_retry_in_ms: number | null;
}

export interface DispatcherDeps {
  config(): DeliveryConfig;
  /** The emulator clock, for the timestamps in the log. */
  now(): number;
  /** The subscription if it may still receive a message of this kind; undefined stops delivery. */
  eligibleSubscription(subscriptionId: string, kind: MessageKind): WebhookSubscriptionRecord | undefined;
}

const MAX_LOG = 20_000;
const USER_AGENT = 'Ramp-Webhooks-Emulator/1.0';

/** FIFO counting semaphore whose waiters are released (to notice the abort) on reset. */
class Slots {
  #used = 0;
  readonly #waiters: (() => void)[] = [];

  acquire(limit: () => number): Promise<void> {
    if (this.#used < limit() && this.#waiters.length === 0) {
      this.#used += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(() => {
      this.#used += 1;
      resolve();
    }));
  }

  release(limit: () => number): void {
    this.#used -= 1;
    while (this.#used < limit() && this.#waiters.length > 0) this.#waiters.shift()!();
  }

  releaseAll(): void {
    while (this.#waiters.length > 0) this.#waiters.shift()!();
    this.#used = 0;
  }
}

/** Ramp's backoff before retry `retry` (1-based): full jitter under an exponentially growing cap. */
export function retryDelayMs(config: Pick<DeliveryConfig, 'base_delay_ms' | 'jitter'>, retry: number, random: () => number = Math.random): number {
  const cap = config.base_delay_ms * 2 ** (retry - 1);
  return config.jitter ? Math.floor(random() * cap) : cap;
}

function classify(status: number): 'delivered' | 'dropped' | 'retry' {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 429 || status >= 500) return 'retry';
  return 'dropped';
}

export class DeliveryDispatcher {
  readonly #deps: DispatcherDeps;
  readonly #deliveries = new Map<string, DeliveryRecord>();
  /** Finished deliveries, oldest first: the ones the log may forget once it is full. */
  #finished: string[] = [];
  #finishedHead = 0;
  readonly #attempts: AttemptRecord[] = [];
  #slots = new Slots();
  /** Unfinished messages of the current generation (a reset starts a new one at once). */
  #running = new Set<Promise<void>>();
  #abort = new AbortController();
  /** Per subscription, so deleting or disabling one stops its retries now, not after the backoff. */
  readonly #subscriptionAborts = new Map<string, AbortController>();
  #sequence = 0;

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
  }

  enqueue(subscription: WebhookSubscriptionRecord, message: OutgoingMessage, options: { duplicate: boolean }): DeliveryRecord {
    const record: DeliveryRecord = {
      delivery_id: newUuid(),
      subscription_id: subscription.id,
      business_id: message.businessId,
      event_id: message.eventId,
      type: message.type,
      object_id: message.objectId,
      kind: message.kind,
      duplicate: options.duplicate,
      queued_at: new Date(this.#deps.now()).toISOString(),
      attempts: 0,
      last_status: null,
      outcome: 'queued',
    };
    this.#deliveries.set(record.delivery_id, record);
    const signal = AbortSignal.any([this.#abort.signal, this.#subscriptionAbort(subscription.id).signal]);
    const finished = this.#finished;
    const running = this.#running;
    // #run handles every failure it expects; the catch only keeps a bug from crashing the process.
    const task = this.#run(record, message.rawBody, signal).catch(() => void (record.outcome = 'dropped')).finally(() => {
      running.delete(task);
      finished.push(record.delivery_id);
      this.#pruneDeliveries();
    });
    running.add(task);
    return record;
  }

  #subscriptionAbort(subscriptionId: string): AbortController {
    let controller = this.#subscriptionAborts.get(subscriptionId);
    if (!controller) this.#subscriptionAborts.set(subscriptionId, (controller = new AbortController()));
    return controller;
  }

  /** Stops every message of a subscription that was deleted or disabled (they end `cancelled`). */
  cancelSubscription(subscriptionId: string): void {
    this.#subscriptionAborts.get(subscriptionId)?.abort();
    this.#subscriptionAborts.delete(subscriptionId);
  }

  deliveries(): DeliveryRecord[] {
    return [...this.#deliveries.values()].map((record) => ({ ...record }));
  }

  attempts(): AttemptRecord[] {
    return this.#attempts.map((attempt) => ({ ...attempt }));
  }

  /** Messages not finished yet (queued, in flight or waiting for a retry). */
  get pending(): number {
    return this.#running.size;
  }

  async #run(record: DeliveryRecord, rawBody: string, signal: AbortSignal): Promise<void> {
    const config = this.#deps.config;
    const slots = this.#slots; // a reset replaces the slots; this message keeps its own
    if (config().delay_ms > 0) await sleepUnlessAborted(config().delay_ms, signal);
    for (let attempt = 1; ; attempt++) {
      const subscription = signal.aborted ? undefined : this.#deps.eligibleSubscription(record.subscription_id, record.kind);
      if (!subscription) {
        record.outcome = 'cancelled';
        return;
      }
      await slots.acquire(() => config().max_concurrency);
      if (signal.aborted) {
        record.outcome = 'cancelled';
        return;
      }
      const log = this.#startAttempt(record, attempt);
      let result: 'delivered' | 'dropped' | 'retry' | 'cancelled';
      try {
        result = await this.#post(subscription, rawBody, record, log, signal);
      } finally {
        slots.release(() => config().max_concurrency);
      }
      if (result === 'retry' && attempt < config().max_attempts) {
        const delay = retryDelayMs(config(), attempt);
        log.result = 'retry';
        log.next_retry_in_ms = delay;
        record.outcome = 'retry_wait';
        await sleepUnlessAborted(delay, signal);
        continue;
      }
      const final = result === 'retry' ? 'gave_up' : result;
      log.result = final;
      record.outcome = final;
      return;
    }
  }

  #startAttempt(record: DeliveryRecord, attempt: number): AttemptRecord {
    record.attempts = attempt;
    record.outcome = 'in_flight';
    const log: AttemptRecord = {
      delivery_id: record.delivery_id,
      subscription_id: record.subscription_id,
      business_id: record.business_id,
      event_id: record.event_id,
      type: record.type,
      object_id: record.object_id,
      kind: record.kind,
      duplicate: record.duplicate,
      attempt,
      sequence: ++this.#sequence,
      started_at: new Date(this.#deps.now()).toISOString(),
      duration_ms: null,
      response_status: null,
      error: null,
      result: 'in_flight',
      next_retry_in_ms: null,
    };
    this.#attempts.push(log);
    // Trimmed in chunks so a long run costs O(1) per attempt, not a 20,000-element shift each time.
    if (this.#attempts.length > MAX_LOG * 1.25) this.#attempts.splice(0, this.#attempts.length - MAX_LOG);
    return log;
  }

  async #post(subscription: WebhookSubscriptionRecord, rawBody: string, record: DeliveryRecord, log: AttemptRecord, signal: AbortSignal): Promise<'delivered' | 'dropped' | 'retry' | 'cancelled'> {
    const started = performance.now();
    const timeout = AbortSignal.timeout(this.#deps.config().timeout_ms);
    try {
      const headers = new Headers(subscription.additionalHeaders);
      headers.set('content-type', 'application/json');
      headers.set('user-agent', USER_AGENT);
      headers.set('x-ramp-webhook-signature', signWebhookBody(rawBody, subscription.secret));
      const response = await fetch(subscription.endpointUrl, { method: 'POST', headers, body: rawBody, redirect: 'manual', signal: AbortSignal.any([signal, timeout]) });
      await response.arrayBuffer().catch(() => undefined);
      log.response_status = response.status;
      record.last_status = response.status;
      return classify(response.status);
    } catch {
      if (signal.aborted) return 'cancelled';
      log.error = timeout.aborted ? 'timeout' : 'network';
      return 'retry';
    } finally {
      log.duration_ms = Math.round((performance.now() - started) * 10) / 10;
    }
  }

  /** Forgets the oldest finished deliveries beyond the cap (unfinished ones are always kept). */
  #pruneDeliveries(): void {
    while (this.#deliveries.size > MAX_LOG && this.#finishedHead < this.#finished.length) this.#deliveries.delete(this.#finished[this.#finishedHead++]!);
    if (this.#finishedHead > MAX_LOG) {
      this.#finished = this.#finished.slice(this.#finishedHead);
      this.#finishedHead = 0;
    }
  }

  /** Cancels every message and forgets the log. */
  reset(): void {
    this.close();
    this.#abort = new AbortController();
    this.#slots = new Slots();
    this.#running = new Set();
    this.#subscriptionAborts.clear();
    this.#deliveries.clear();
    this.#finished = [];
    this.#finishedHead = 0;
    this.#attempts.length = 0;
    this.#sequence = 0;
  }

  close(): void {
    this.#abort.abort();
    this.#slots.releaseAll();
  }
}
