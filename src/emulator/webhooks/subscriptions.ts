/**
 * @module Webhook subscriptions made through Ramp's API, in memory.
 *
 * A subscription belongs to one business, one environment and the app (client id) whose token
 * created it; only a token of that same app, business and environment can see or change it, so
 * another tenant's id is simply not found. Statuses are the schema's: `pending_verification` until
 * the challenge is echoed back, then `active`; `inactive` when Ramp disabled it (a control-plane
 * switch here). The secret is kept for signing and shown only in the creation answer.
 */
import type { Environment } from '../apps.ts';
import { formatRampTime } from '../data/models.ts';
import { newUuid, newWebhookSecret, randomToken, safeEqual } from '../ids.ts';
import type { RampWebhookEventType } from './event-types.ts';

export type SubscriptionStatus = 'active' | 'inactive' | 'pending_verification';

export interface WebhookSubscriptionRecord {
  readonly id: string;
  readonly businessId: string;
  readonly environment: Environment;
  readonly clientId: string;
  readonly endpointUrl: string;
  readonly eventTypes: readonly RampWebhookEventType[];
  readonly additionalHeaders: Readonly<Record<string, string>>;
  readonly secret: string;
  readonly challenge: string;
  status: SubscriptionStatus;
  readonly createdAtMs: number;
  updatedAtMs: number;
}

/** Who is asking: the token's app, business and environment. */
export interface SubscriptionOwner {
  readonly clientId: string;
  readonly businessId: string;
  readonly environment: Environment;
}

/** `OutboundWebhookSubscriptionResource`: what every read shows (no secret, no headers). */
export function subscriptionResource(subscription: WebhookSubscriptionRecord): Record<string, unknown> {
  return {
    id: subscription.id,
    business_id: subscription.businessId,
    endpoint_url: subscription.endpointUrl,
    event_types: [...subscription.eventTypes],
    status: subscription.status,
    created_at: formatRampTime(subscription.createdAtMs),
    updated_at: formatRampTime(subscription.updatedAtMs),
  };
}

/**
 * `OutboundWebhookSubscriptionWithSecretResource`: the creation answer, the only one with the secret;
 * `business_id` is optional in that schema, so it can be left out (switch `create_answer_business_id`).
 */
export function subscriptionResourceWithSecret(subscription: WebhookSubscriptionRecord, options: { businessId: boolean } = { businessId: true }): Record<string, unknown> {
  const { business_id: businessId, ...rest } = subscriptionResource(subscription);
  return { ...rest, ...(options.businessId ? { business_id: businessId } : {}), additional_headers: { ...subscription.additionalHeaders }, secret: subscription.secret };
}

export type VerifyOutcome = 'verified' | 'already_active' | 'wrong_challenge' | 'inactive';

export class SubscriptionBook {
  readonly #byId = new Map<string, WebhookSubscriptionRecord>();

  create(owner: SubscriptionOwner, input: { endpointUrl: string; eventTypes: readonly RampWebhookEventType[]; additionalHeaders: Record<string, string> }, nowMs: number): WebhookSubscriptionRecord {
    const subscription: WebhookSubscriptionRecord = {
      id: newUuid(),
      businessId: owner.businessId,
      environment: owner.environment,
      clientId: owner.clientId,
      endpointUrl: input.endpointUrl,
      eventTypes: [...input.eventTypes],
      additionalHeaders: { ...input.additionalHeaders },
      secret: newWebhookSecret(),
      challenge: `ramp_challenge_${randomToken(24)}`,
      status: 'pending_verification',
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    };
    this.#byId.set(subscription.id, subscription);
    return subscription;
  }

  /** The subscription if `owner` may see it; undefined otherwise (another tenant's id included). */
  find(owner: SubscriptionOwner, id: string): WebhookSubscriptionRecord | undefined {
    const subscription = this.#byId.get(id.toLowerCase());
    if (!subscription) return undefined;
    const mine = subscription.clientId === owner.clientId && subscription.businessId === owner.businessId && subscription.environment === owner.environment;
    return mine ? subscription : undefined;
  }

  listFor(owner: SubscriptionOwner): WebhookSubscriptionRecord[] {
    return this.all().filter((subscription) => this.find(owner, subscription.id) !== undefined);
  }

  /** Every subscription, oldest first (control plane). */
  all(): WebhookSubscriptionRecord[] {
    return [...this.#byId.values()]; // a Map keeps insertion order, which is creation order
  }

  byId(id: string): WebhookSubscriptionRecord | undefined {
    return this.#byId.get(id.toLowerCase());
  }

  /** Active subscriptions of `businessId` that asked for `eventType`. */
  activeFor(businessId: string, eventType: string): WebhookSubscriptionRecord[] {
    return [...this.#byId.values()].filter((subscription) => subscription.status === 'active' && subscription.businessId === businessId && (subscription.eventTypes as readonly string[]).includes(eventType));
  }

  verify(subscription: WebhookSubscriptionRecord, challenge: string, nowMs: number): VerifyOutcome {
    if (!safeEqual(challenge, subscription.challenge)) return 'wrong_challenge';
    if (subscription.status === 'inactive') return 'inactive';
    if (subscription.status === 'active') return 'already_active';
    subscription.status = 'active';
    subscription.updatedAtMs = nowMs;
    return 'verified';
  }

  setStatus(id: string, status: SubscriptionStatus, nowMs: number): WebhookSubscriptionRecord | undefined {
    const subscription = this.byId(id);
    if (!subscription) return undefined;
    subscription.status = status;
    subscription.updatedAtMs = nowMs;
    return subscription;
  }

  delete(id: string): boolean {
    return this.#byId.delete(id.toLowerCase());
  }

  clear(): void {
    this.#byId.clear();
  }
}
