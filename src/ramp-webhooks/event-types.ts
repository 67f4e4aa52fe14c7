/**
 * @module The Ramp webhook event types we subscribe to, the read scope each needs, and the resource of
 * ours an event's object is stored as. The enum is `OutboundWebhookSubscriptionCreateRequestBody.event_types`
 * of Ramp's document; scopes per docs/ramp-webhooks-plan.md. The emulator keeps its own copy (it
 * shares no code with the service). Purchase orders are not a resource we store, so we do not subscribe.
 */

interface EventFamily {
  readonly scope: string;
  /** Our resource (src/ramp/resource-descriptors.ts) the object is read and stored as. */
  readonly resource: string;
  readonly types: readonly string[];
}

const FAMILIES: readonly EventFamily[] = [
  { scope: 'transactions:read', resource: 'transactions', types: ['transactions.authorized', 'transactions.cleared', 'transactions.ready_for_review', 'transactions.ready_to_sync'] },
  { scope: 'reimbursements:read', resource: 'reimbursements', types: ['reimbursements.ready_for_review', 'reimbursements.ready_to_sync'] },
  { scope: 'bills:read', resource: 'bills', types: ['bills.approved', 'bills.created', 'bills.paid', 'bills.rejected'] },
];

/** The challenge Ramp POSTs to a new subscription's endpoint. */
export const VERIFICATION_EVENT_TYPE = 'webhooks.verification';

/** The event types a connection granted `scopes` can subscribe to, in a stable order. */
export function eventTypesForScopes(scopes: readonly string[]): string[] {
  return FAMILIES.filter((family) => scopes.includes(family.scope)).flatMap((family) => family.types);
}

/** The resource an event's object is stored as, or null for a type we do not store. */
export function resourceOfEventType(type: string): string | null {
  return FAMILIES.find((family) => family.types.includes(type))?.resource ?? null;
}
