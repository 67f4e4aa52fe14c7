/**
 * @module Checking a Ramp webhook before acting on it (docs/ramp-behaviour.md#webhooks):
 * `X-Ramp-Webhook-Signature` must be the hex HMAC-SHA256 of the raw body under our secret, compared
 * in constant time on fixed-length digests (timingSafeEqual throws on unequal lengths, so a malformed
 * header is turned into a mismatch first, as for API tokens: docs/guarantees.md#g33). Events older than five minutes
 * (or dated in the future) are refused as replays.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const MAX_EVENT_AGE_MS = 5 * 60_000;

export type WebhookCheck =
  | { readonly ok: true; readonly event: RampWebhookEvent }
  | { readonly ok: false; readonly reason: 'bad_signature' | 'stale' | 'malformed' };

/** The thin payload Ramp sends (docs/ramp-behaviour.md#webhooks): re-fetch the object, never trust it as data. */
export interface RampWebhookEvent {
  readonly id: string;
  readonly type: string;
  readonly created_at: string;
  readonly business_id: string;
  readonly object: { readonly id: string } | null;
}

/** A string PostgreSQL's text cannot store (U+0000): refused as malformed before it reaches a query. */
export function hasNul(value: string): boolean {
  return value.includes('\u0000');
}

export function signatureMatches(rawBody: string, header: string | undefined, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(rawBody, 'utf8').digest();
  const candidate = header?.trim() ?? '';
  const wellFormed = /^[0-9a-fA-F]{64}$/.test(candidate);
  // Compare even when the header is malformed, so timing does not tell the two cases apart.
  const equal = timingSafeEqual(expected, wellFormed ? Buffer.from(candidate, 'hex') : Buffer.alloc(expected.length));
  return wellFormed && equal;
}

export function verifyWebhook(rawBody: string | undefined, header: string | undefined, secret: string | undefined, nowMs: number): WebhookCheck {
  if (secret === undefined || rawBody === undefined) return { ok: false, reason: 'bad_signature' };
  if (!signatureMatches(rawBody, header, secret)) return { ok: false, reason: 'bad_signature' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const event = parsed as Partial<RampWebhookEvent> | null;
  if (typeof event !== 'object' || event === null || typeof event.business_id !== 'string' || typeof event.created_at !== 'string' || typeof event.type !== 'string') {
    return { ok: false, reason: 'malformed' };
  }
  if (hasNul(event.business_id)) return { ok: false, reason: 'malformed' };
  const createdAt = Date.parse(event.created_at);
  if (Number.isNaN(createdAt) || nowMs - createdAt > MAX_EVENT_AGE_MS || createdAt - nowMs > MAX_EVENT_AGE_MS) return { ok: false, reason: 'stale' };
  return { ok: true, event: event as RampWebhookEvent };
}
