/**
 * @module Ramp's webhook event types and the read scope each one needs.
 *
 * The enum is `OutboundWebhookSubscriptionCreateRequestBody.event_types` of developer-api.json; the
 * scope of each resource is the table of Ramp's webhooks guide (transactions → `transactions:read`,
 * …). `tests.test_event` and `webhooks.verification` belong to no resource and need no scope.
 */
export const RAMP_WEBHOOK_EVENT_TYPES = [
  'bills.approved',
  'bills.created',
  'bills.paid',
  'bills.rejected',
  'purchase_orders.created',
  'purchase_orders.updated',
  'reimbursements.ready_for_review',
  'reimbursements.ready_to_sync',
  'tests.test_event',
  'transactions.authorized',
  'transactions.cleared',
  'transactions.ready_for_review',
  'transactions.ready_to_sync',
  'webhooks.verification',
] as const;

export type RampWebhookEventType = (typeof RAMP_WEBHOOK_EVENT_TYPES)[number];

/** The type of the challenge Ramp POSTs to a new subscription's endpoint. */
export const VERIFICATION_EVENT_TYPE: RampWebhookEventType = 'webhooks.verification';

const RESOURCE_SCOPES: Readonly<Record<string, string>> = {
  bills: 'bills:read',
  purchase_orders: 'purchase_orders:read',
  reimbursements: 'reimbursements:read',
  transactions: 'transactions:read',
};

export function isRampWebhookEventType(value: string): value is RampWebhookEventType {
  return (RAMP_WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** The scope a token needs to subscribe to `eventType`, or null when none is needed. */
export function scopeForEventType(eventType: RampWebhookEventType): string | null {
  return RESOURCE_SCOPES[eventType.slice(0, eventType.indexOf('.'))] ?? null;
}

/** Scopes `eventTypes` need that `granted` lacks, each once, in the order first needed. */
export function missingScopesFor(eventTypes: readonly RampWebhookEventType[], granted: readonly string[]): string[] {
  const missing = new Set<string>();
  for (const eventType of eventTypes) {
    const scope = scopeForEventType(eventType);
    if (scope !== null && !granted.includes(scope)) missing.add(scope);
  }
  return [...missing];
}
