/**
 * @module The delivery worker: every replica runs one. It claims due deliveries in batches under a lease
 * (src/events/delivery-queue.ts), POSTs each (src/events/delivery-attempt.ts) and records the outcome:
 * 2xx → delivered; otherwise another try after full-jitter exponential backoff
 * `rand(0, min(cap, base·2^n))` (AWS Builders' Library; a receiver's `Retry-After` on 429/503 is a
 * floor), up to `maxAttempts`, then `dead`.
 *
 * Nothing is lost when a process stops: `stop()` lets in-flight deliveries finish for a short grace,
 * then aborts them and hands their rows back (attempt not counted); a crash leaves rows leased, and
 * another replica retries them once the lease expires. The price is at-least-once delivery, so
 * receivers de-duplicate on the event id.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../db/database.ts';
import { metrics, secondsSince } from '../metrics/registry.ts';
import { fullJitterDelay } from '../ramp/retry-policy.ts';
import { CredentialsCorruptError } from '../vault/vault.ts';
import { attemptDelivery, webhookFetch, type AttemptOutcome } from './delivery-attempt.ts';
import type { EgressOptions } from './private-address.ts';
import { claimDueDeliveries, countPending, settleDelivery, type ClaimedDelivery } from './delivery-queue.ts';
import type { WebhookDeliveriesTable } from './events-schema.ts';
import type { WebhookEndpointStore } from './webhook-endpoint-store.ts';

export interface DeliveryOptions {
  /** How often an idle worker looks for due deliveries. */
  readonly pollIntervalMs: number;
  /** Rows claimed per statement. */
  readonly batchSize: number;
  /** Deliveries in flight at once per worker (a slow receiver does not stall the others). */
  readonly maxInFlight: number;
  /** Must exceed `timeoutMs` plus the time to record the outcome, or a slow delivery is sent twice. */
  readonly leaseMs: number;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /** Attempts before a delivery is `dead`. */
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  /** On stop, how long in-flight deliveries may finish before they are aborted and handed back. */
  readonly stopGraceMs: number;
  readonly random: () => number;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = Object.freeze({
  pollIntervalMs: 1_000,
  batchSize: 20,
  maxInFlight: 50,
  leaseMs: 60_000,
  timeoutMs: 10_000,
  maxAttempts: 15,
  backoffBaseMs: 1_000,
  backoffCapMs: 3_600_000,
  stopGraceMs: 2_000,
  random: Math.random,
});

export interface DeliveryWorkerDeps {
  readonly db: Db;
  readonly store: WebhookEndpointStore;
  readonly log: Logger;
  readonly now?: () => number;
  /** Replaces the HTTP client (tests' stubs); `egress` is then unused. */
  readonly fetch?: typeof fetch;
  /** Which destinations the default client may reach; default: no private address. */
  readonly egress?: EgressOptions;
  readonly options?: Partial<DeliveryOptions>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class DeliveryWorker {
  /** Identifies this worker in lease owners (`<id>:<claim number>`). */
  readonly id = randomUUID();
  readonly options: DeliveryOptions;
  readonly #db: Db;
  readonly #store: WebhookEndpointStore;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #fetch: typeof fetch;
  readonly #inFlight = new Set<Promise<void>>();
  #claims = 0;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #kicked = false;
  #stopController = new AbortController();

  constructor(deps: DeliveryWorkerDeps) {
    this.options = Object.freeze({ ...DEFAULT_DELIVERY_OPTIONS, ...deps.options });
    if (this.options.leaseMs <= this.options.timeoutMs) throw new TypeError('"leaseMs" must exceed "timeoutMs"');
    this.#db = deps.db;
    this.#store = deps.store;
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
    this.#fetch = deps.fetch ?? webhookFetch(deps.egress ?? { allowPrivateAddresses: false });
  }

  get running(): boolean {
    return this.#running;
  }

  /** Starts polling. Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopController = new AbortController();
    this.#schedule(0);
  }

  /** Asks a running worker to look for work now (after an emit) instead of at its next poll. */
  kick(): void {
    if (!this.#running) return;
    if (this.#tick) this.#kicked = true;
    else this.#schedule(0);
  }

  /** Stops polling; in-flight deliveries get `stopGraceMs` to finish, then are aborted and handed back. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#tick;
    if (this.#inFlight.size === 0) return;
    await Promise.race([Promise.allSettled([...this.#inFlight]), sleep(this.options.stopGraceMs)]);
    this.#stopController.abort();
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Claims one batch (up to free capacity), delivers it, and returns how many were claimed. For tests and tools. */
  async runOnce(): Promise<number> {
    const launched = await this.#claimAndLaunch();
    await Promise.allSettled(launched);
    return launched.length;
  }

  /** Delivers until no delivery is pending (retries included, waiting out their backoff); rejects after `timeoutMs`. */
  async drain(options: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      await this.runOnce();
      const pending = await countPending(this.#db.kysely);
      if (pending === 0) return;
      if (Date.now() > deadline) throw new Error(`drain: ${pending} deliveries still pending after ${options.timeoutMs ?? 30_000} ms`);
      await sleep(Math.min(this.options.pollIntervalMs, 100));
    }
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#tick = this.#poll().finally(() => {
        this.#tick = undefined;
      });
    }, delayMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    let again = false;
    try {
      const capacity = this.options.maxInFlight - this.#inFlight.size;
      const launched = await this.#claimAndLaunch();
      // A full batch suggests more are due: claim again at once rather than after a poll interval.
      again = launched.length > 0 && launched.length === Math.min(this.options.batchSize, capacity);
    } catch (error) {
      this.#log.error({ err: error, worker: this.id }, 'webhook delivery poll failed; retrying at the next poll');
    }
    const kicked = this.#kicked;
    this.#kicked = false;
    this.#schedule(again || kicked ? 0 : this.options.pollIntervalMs);
  }

  async #claimAndLaunch(): Promise<Promise<void>[]> {
    const limit = Math.min(this.options.batchSize, this.options.maxInFlight - this.#inFlight.size);
    if (limit <= 0) return [];
    const claimed = await claimDueDeliveries(this.#db.kysely, this.#db.dialect, {
      leaseOwner: `${this.id}:${++this.#claims}`,
      now: this.#now(),
      leaseMs: this.options.leaseMs,
      limit,
    });
    return claimed.map((delivery) => {
      const task: Promise<void> = this.#deliver(delivery)
        .catch((error: unknown) => {
          // Typically the database going away mid-shutdown; the lease expires and another replica retries.
          this.#log.error({ err: error, delivery_id: delivery.id }, 'could not record a webhook delivery outcome');
        })
        .finally(() => {
          this.#inFlight.delete(task);
          if (this.#running && this.#inFlight.size === this.options.maxInFlight - 1) this.kick();
        });
      this.#inFlight.add(task);
      return task;
    });
  }

  async #deliver(delivery: ClaimedDelivery): Promise<void> {
    if (!delivery.endpointActive || delivery.secret === null) {
      await settleDelivery(this.#db.kysely, delivery, { status: 'dead', last_error: 'endpoint deleted' });
      return;
    }
    let secret: string;
    try {
      secret = this.#store.openSecret({ id: delivery.endpointId, business_id: delivery.businessId, data_key: delivery.dataKey, secret: delivery.secret });
    } catch (error) {
      if (!(error instanceof CredentialsCorruptError)) throw error;
      // Possibly a key this replica has not loaded yet: retry like a failed attempt, never send unsigned.
      this.#log.error({ delivery_id: delivery.id, endpoint_id: delivery.endpointId, reason: error.reason }, 'webhook signing secret could not be decrypted');
      await this.#record(delivery, { kind: 'failed', status: null, error: 'signing secret could not be decrypted' });
      return;
    }
    const attemptStarted = performance.now();
    const outcome = await attemptDelivery({
      url: delivery.url,
      secret,
      event: { id: delivery.eventId, type: delivery.eventType, createdAt: delivery.eventCreatedAt, businessId: delivery.businessId, data: delivery.eventData },
      nowMs: this.#now(),
      timeoutMs: this.options.timeoutMs,
      stopSignal: this.#stopController.signal,
      fetch: this.#fetch,
    });
    if (outcome.kind !== 'aborted') metrics.webhookDeliveryDuration.observe(secondsSince(attemptStarted));
    await this.#record(delivery, outcome);
  }

  async #record(delivery: ClaimedDelivery, outcome: AttemptOutcome): Promise<void> {
    const now = this.#now();
    const attempts = delivery.attempts + 1;
    let set: Partial<WebhookDeliveriesTable>;
    if (outcome.kind === 'aborted') set = {};
    else if (outcome.kind === 'delivered') {
      set = { status: 'delivered', attempts, last_status_code: outcome.status, last_error: null, delivered_at: now };
    } else if (attempts >= this.options.maxAttempts) {
      set = { status: 'dead', attempts, last_status_code: outcome.status, last_error: outcome.error };
    } else {
      set = { attempts, last_status_code: outcome.status, last_error: outcome.error, next_attempt_at: now + this.#retryDelay(attempts, outcome.retryAfterMs) };
    }
    const settled = await settleDelivery(this.#db.kysely, delivery, set);
    if (settled) metrics.webhookDeliveries.inc({ outcome: set.status === 'dead' ? 'dead' : outcome.kind });
    const fields = { delivery_id: delivery.id, event_id: delivery.eventId, endpoint_id: delivery.endpointId, attempts };
    if (!settled) this.#log.warn(fields, 'webhook delivery lease was lost before its outcome was recorded; another worker owns it');
    else if (outcome.kind === 'failed') {
      const level = set.status === 'dead' ? 'warn' : 'info';
      this.#log[level]({ ...fields, status_code: outcome.status, error: outcome.error }, set.status === 'dead' ? 'webhook delivery gave up' : 'webhook delivery failed; will retry');
    } else if (outcome.kind === 'delivered') this.#log.debug({ ...fields, status_code: outcome.status }, 'webhook delivered');
  }

  /** Delay before attempt `attempts + 1`: full jitter over the failed attempt's index, floored by Retry-After. */
  #retryDelay(attempts: number, retryAfterMs: number | undefined): number {
    const { backoffBaseMs: baseMs, backoffCapMs: capMs, random } = this.options;
    const jitter = fullJitterDelay(attempts - 1, { baseMs, capMs }, random);
    return Math.min(capMs, Math.max(jitter, retryAfterMs ?? 0));
  }
}
