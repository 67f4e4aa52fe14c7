/**
 * @module Checking a Ramp webhook before acting on it (docs/ramp-behaviour.md#webhooks):
 * `X-Ramp-Webhook-Signature` must be the hex HMAC-SHA256 of the raw body under our secret, compared
 * in constant time on fixed-length digests (timingSafeEqual throws on unequal lengths, so a malformed
 * header is turned into a mismatch first, as for API tokens: docs/guarantees.md#g33). The event is
 * then parsed once for both Ramp webhook routes (`parseRampEvent`).
 *
 * The signature covers the body only, with no signed time, so an event's age proves nothing about a
 * replay: what stops one acting twice is its id, recorded once per business (src/ramp-webhooks/event-log.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { hasNul } from '../db/text.ts';

/**
 * How old a signed event the fallback route still takes. Ramp retries a 429, 5xx or timeout up to 10
 * times with exponential backoff and jitter "starting between 0-60 seconds", with the event's original
 * `id` and `created_at` (Ramp's webhooks.mdx, "Delivery and Retry Logic"). Doubling from at most 60 s,
 * the 10 waits add up to at most 60 s × (1 + 2 + … + 512) = 61,380 s ≈ 17 h, plus 11 deliveries of at
 * most 10 s each: ≈ 17.1 h. Three days is four times that (it still covers a growth factor of 2.3 a
 * retry). It stays well inside the 7 days event ids are remembered (src/ramp-webhooks/event-processor.ts
 * `EVENT_RETENTION_MS`), so any event this accepts is recognised if it comes again.
 */
export const MAX_EVENT_AGE_MS = 3 * 24 * 3600_000;
/** An event dated further ahead of our clock than this is not one Ramp sent (clock skew allowance). */
export const MAX_EVENT_SKEW_MS = 5 * 60_000;

export type WebhookCheck =
  | { readonly ok: true; readonly event: RampWebhookEvent & { readonly created_at: string } }
  | { readonly ok: false; readonly reason: 'bad_signature' | 'stale' | 'malformed' };

/** The thin payload Ramp sends (docs/ramp-behaviour.md#webhooks): re-fetch the object, never trust it as data. */
export interface RampWebhookEvent {
  /** The same on every retry of the event. */
  readonly id: string;
  readonly type: string;
  readonly business_id: string;
  readonly created_at?: unknown;
  readonly object?: { readonly id?: unknown } | null;
  /** `webhooks.verification` only. */
  readonly challenge?: unknown;
}

export function signatureMatches(rawBody: string, header: string | undefined, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(rawBody, 'utf8').digest();
  const candidate = header?.trim() ?? '';
  const wellFormed = /^[0-9a-fA-F]{64}$/.test(candidate);
  // Compare even when the header is malformed, so timing does not tell the two cases apart.
  const equal = timingSafeEqual(expected, wellFormed ? Buffer.from(candidate, 'hex') : Buffer.alloc(expected.length));
  return wellFormed && equal;
}

/**
 * The event of a (signed) body, or undefined when it is not one: the ids must fit the columns of
 * `ramp_webhook_events` and hold no U+0000 (src/db/text.ts), or storing it would be a 500 on
 * PostgreSQL, which Ramp retries ten times, instead of a 400.
 */
export function parseRampEvent(rawBody: string): RampWebhookEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(rawBody);
  } catch {
    return undefined;
  }
  const event = value as Partial<RampWebhookEvent> | null;
  if (typeof event !== 'object' || event === null || typeof event.id !== 'string' || typeof event.type !== 'string' || typeof event.business_id !== 'string') return undefined;
  if (event.id.length === 0 || event.id.length > 128 || event.type.length > 64 || event.business_id.length > 64) return undefined;
  if (hasNul(event.id) || hasNul(event.type) || hasNul(event.business_id) || (typeof event.object?.id === 'string' && hasNul(event.object.id))) return undefined;
  return event as RampWebhookEvent;
}

export function verifyWebhook(rawBody: string | undefined, header: string | undefined, secret: string | undefined, nowMs: number): WebhookCheck {
  if (secret === undefined || rawBody === undefined) return { ok: false, reason: 'bad_signature' };
  if (!signatureMatches(rawBody, header, secret)) return { ok: false, reason: 'bad_signature' };
  const event = parseRampEvent(rawBody);
  if (!event || typeof event.created_at !== 'string') return { ok: false, reason: 'malformed' };
  const createdAt = Date.parse(event.created_at);
  if (Number.isNaN(createdAt) || nowMs - createdAt > MAX_EVENT_AGE_MS || createdAt - nowMs > MAX_EVENT_SKEW_MS) return { ok: false, reason: 'stale' };
  return { ok: true, event: { ...event, created_at: event.created_at } };
}
