/**
 * @module What `POST /api/v1/ramp/webhooks/{route_key}` does with one delivery from Ramp
 * (docs/ramp-webhooks-plan.md#receiving), in this order, storing nothing before every check passed:
 * 1. the row of the route key (unknown → 404; Ramp drops a 4xx);
 * 2. no secret stored yet (the create's answer not written) → 503, so Ramp sends it again;
 * 3. `X-Ramp-Webhook-Signature` against that row's own secret, in constant time
 *    (src/sync/webhook-verification.ts `signatureMatches`) → 401 when it fails;
 * 4. the event's `business_id` must be the subscription's Ramp business → 403 (when Ramp's create
 *    answer did not name it, the challenge does; any other event before the challenge → 503);
 * 5. the challenge → `verify` with the connection's token, then `active`;
 * 6. any other event → one row per (business, event id) (event-log.ts); the object is fetched
 *    afterwards by the worker (event-processor.ts), never inside Ramp's 10 s.
 * There is no age check: Ramp retries an event for hours with its original `created_at`, and a replay
 * is harmless (deduplicated by id; the object is re-read from Ramp).
 */
import type { AppContext } from '../app-context.ts';
import { verifySubscriptionCall } from '../ramp/endpoints/webhook-subscriptions.ts';
import type { RampClient } from '../ramp/ramp-client.ts';
import { parseRampEvent, signatureMatches } from '../sync/webhook-verification.ts';
import { recordEvent } from './event-log.ts';
import { VERIFICATION_EVENT_TYPE } from './event-types.ts';
import type { SubscriptionStore } from './subscription-store.ts';

export type ReceiveOutcome =
  | 'unknown_route'
  | 'not_ready'
  | 'bad_signature'
  | 'wrong_business'
  | 'malformed'
  | 'verified'
  | 'verify_failed'
  | 'accepted'
  | 'duplicate';

export interface ReceiverDeps {
  readonly ctx: AppContext;
  readonly client: RampClient;
  readonly subscriptions: SubscriptionStore;
  /** Told when a new event row was stored (the worker starts on it). */
  readonly onAccepted: () => void;
}

export class EventReceiver {
  readonly #d: ReceiverDeps;

  constructor(deps: ReceiverDeps) {
    this.#d = deps;
  }

  async receive(routeKey: string, rawBody: string | undefined, signature: string | undefined): Promise<ReceiveOutcome> {
    const { ctx, subscriptions } = this.#d;
    const row = await subscriptions.findByRouteKey(routeKey);
    if (!row) return 'unknown_route';
    let secret: string | undefined;
    try {
      secret = subscriptions.openSecret(row);
    } catch (error) {
      // Not this replica's key yet (a rotation rolling out) or unreadable: Ramp retries a 503.
      ctx.log.warn({ err: error, business_id: row.business_id }, 'could not open the Ramp webhook secret');
      return 'not_ready';
    }
    if (secret === undefined) return 'not_ready';
    if (rawBody === undefined || !signatureMatches(rawBody, signature, secret)) return 'bad_signature';
    const event = parseRampEvent(rawBody);
    if (!event) return 'malformed';
    const isChallenge = event.type === VERIFICATION_EVENT_TYPE;
    // Ramp's create answer may leave `business_id` out (not required by its schema): then the challenge,
    // signed with this subscription's own secret and checked by Ramp's `verify`, names it. Any other
    // event before that is answered 503, and Ramp sends it again.
    const rampBusinessId = row.ramp_business_id ?? (isChallenge ? event.business_id : null);
    if (rampBusinessId === null) return 'not_ready';
    // A secret leaked from tenant A must not write into tenant B: the event names this subscription's business or nothing happens.
    if (event.business_id !== rampBusinessId) return 'wrong_business';
    const now = ctx.now();
    if (isChallenge) {
      if (typeof event.challenge !== 'string' || event.object?.id !== row.ramp_subscription_id || row.ramp_subscription_id === null) return 'malformed';
      try {
        await this.#d.client.call(row.business_id, verifySubscriptionCall(row.ramp_subscription_id, event.challenge), { deadlineMs: 8_000, maxAttempts: 2 });
      } catch (error) {
        ctx.log.warn({ err: error, business_id: row.business_id }, 'could not verify the Ramp webhook subscription; Ramp will send the challenge again');
        return 'verify_failed';
      }
      await subscriptions.update(row, row.route_key, {
        ramp_business_id: rampBusinessId,
        status: 'active',
        status_reason: null,
        verified_at: now,
        last_checked_at: now,
        attempts: 0,
        updated_at: now,
        next_check_at: now + ctx.config.rampWebhooks.reconcileMs,
      });
      return 'verified';
    }
    if (!(await recordEvent(ctx.db.kysely, { businessId: row.business_id, event, now, handling: 'worker' }))) return 'duplicate';
    await subscriptions.touchLastEvent(row.business_id, now);
    this.#d.onAccepted();
    return 'accepted';
  }
}
