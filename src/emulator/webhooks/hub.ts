/**
 * @module The emulator's Ramp webhooks: subscriptions, the challenge round trip, event fan-out.
 *
 * Every event the emulator emits (today: the `/__emulator/mutate` changes, through the legacy
 * dispatcher's listener) reaches `publish`. Events emitted in one synchronous burst form a batch,
 * flushed on the next turn of the event loop, so the `reorder` switch can shuffle a whole `/mutate`
 * call. Each event has one id and one raw body, sent to every *active* subscription of its business
 * that asked for its type; pending and inactive subscriptions get nothing (no backlog either).
 */
import { formatRampTime } from '../data/models.ts';
import { newUuid } from '../ids.ts';
import { defaultDeliveryConfig, type DeliveryConfig } from './delivery-config.ts';
import { DeliveryDispatcher, type MessageKind, type OutgoingMessage } from './dispatcher.ts';
import { VERIFICATION_EVENT_TYPE } from './event-types.ts';
import { SubscriptionBook, type SubscriptionOwner, type WebhookSubscriptionRecord } from './subscriptions.ts';
import type { CreateSubscriptionRequest } from './subscription-request.ts';

interface PublishedEvent {
  readonly id: string;
  readonly businessId: string;
  readonly type: string;
  readonly objectId: string;
  readonly createdAtMs: number;
}

/** Ramp's thin payload: what changed, never the object itself. */
function eventBody(event: PublishedEvent): string {
  return JSON.stringify({ id: event.id, type: event.type, created_at: formatRampTime(event.createdAtMs), business_id: event.businessId, object: { id: event.objectId } });
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export class RampWebhooks {
  readonly subscriptions = new SubscriptionBook();
  config: DeliveryConfig = defaultDeliveryConfig();
  readonly dispatcher: DeliveryDispatcher;
  readonly #now: () => number;
  #batch: PublishedEvent[] = [];
  #flush: NodeJS.Immediate | null = null;

  constructor(now: () => number) {
    this.#now = now;
    this.dispatcher = new DeliveryDispatcher({
      config: () => this.config,
      now,
      eligibleSubscription: (id, kind) => this.#eligible(id, kind),
    });
  }

  #eligible(id: string, kind: MessageKind): WebhookSubscriptionRecord | undefined {
    const subscription = this.subscriptions.byId(id);
    const wanted = kind === 'challenge' ? 'pending_verification' : 'active';
    return subscription?.status === wanted ? subscription : undefined;
  }

  /**
   * Creates a pending subscription and sends its challenge. The challenge leaves on the next turn
   * of the event loop, so it can reach the endpoint before the creator has read the 201: a
   * receiver that does not know the id yet can answer 5xx/429 and get it again.
   */
  create(owner: SubscriptionOwner, request: CreateSubscriptionRequest): WebhookSubscriptionRecord {
    const now = this.#now();
    const subscription = this.subscriptions.create(owner, request, now);
    const eventId = newUuid();
    const message: OutgoingMessage = {
      kind: 'challenge',
      eventId,
      type: VERIFICATION_EVENT_TYPE,
      objectId: subscription.id,
      businessId: subscription.businessId,
      rawBody: JSON.stringify({
        id: eventId,
        type: VERIFICATION_EVENT_TYPE,
        created_at: formatRampTime(now),
        business_id: subscription.businessId,
        object: { id: subscription.id },
        challenge: subscription.challenge,
      }),
    };
    setImmediate(() => this.dispatcher.enqueue(subscription, message, { duplicate: false }));
    return subscription;
  }

  /** Deletes a subscription (the API's DELETE, or Ramp losing it); its retries stop at once. */
  delete(id: string): boolean {
    const deleted = this.subscriptions.delete(id);
    if (deleted) this.dispatcher.cancelSubscription(id.toLowerCase());
    return deleted;
  }

  /** Ramp disables a subscription: still listed, `inactive`, receives nothing more. */
  disable(id: string): WebhookSubscriptionRecord | undefined {
    const subscription = this.subscriptions.setStatus(id, 'inactive', this.#now());
    if (subscription) this.dispatcher.cancelSubscription(subscription.id);
    return subscription;
  }

  /** Queues an event for the subscriptions of its business; returns the event id. */
  publish(businessId: string, type: string, objectId: string, nowMs: number): string {
    const event: PublishedEvent = { id: newUuid(), businessId, type, objectId, createdAtMs: nowMs };
    this.#batch.push(event);
    this.#flush ??= setImmediate(() => this.#flushBatch());
    return event.id;
  }

  #flushBatch(): void {
    this.#flush = null;
    const batch = this.#batch;
    this.#batch = [];
    if (this.config.reorder) shuffle(batch);
    for (const event of batch) {
      const targets = this.subscriptions.activeFor(event.businessId, event.type);
      if (targets.length === 0) continue;
      const message: OutgoingMessage = { kind: 'event', eventId: event.id, type: event.type, objectId: event.objectId, businessId: event.businessId, rawBody: eventBody(event) };
      for (const subscription of targets) {
        this.dispatcher.enqueue(subscription, message, { duplicate: false });
        if (this.config.duplicate_rate > 0 && Math.random() < this.config.duplicate_rate) this.dispatcher.enqueue(subscription, message, { duplicate: true });
      }
    }
  }

  reset(): void {
    if (this.#flush) clearImmediate(this.#flush);
    this.#flush = null;
    this.#batch = [];
    this.dispatcher.reset();
    this.subscriptions.clear();
    this.config = defaultDeliveryConfig();
  }

  close(): void {
    if (this.#flush) clearImmediate(this.#flush);
    this.#flush = null;
    this.dispatcher.close();
  }
}
