/**
 * @module Random identifiers and digests used by the emulator.
 *
 * Tokens, codes and secrets come from `crypto.randomBytes` (≥ 256 bits) because RFC 6749 §10.10
 * requires that guessing a token has probability ≤ 2^-128; the emulator should not be the weakest
 * link when a client test measures collisions. Seeded (deterministic) ids live in `data/prng.ts`.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** URL-safe random string with `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Ramp-style opaque bearer/refresh token (`ramp_tok_…`, docs/ramp-behaviour.md#hosts-and-environments). */
export function newRampToken(): string {
  return `ramp_tok_${randomToken(32)}`;
}

/** Ramp-style client id (`ramp_id_…`, docs/ramp-behaviour.md#hosts-and-environments). */
export function newClientId(): string {
  return `ramp_id_${randomToken(24)}`;
}

export function newClientSecret(): string {
  return `ramp_secret_${randomToken(32)}`;
}

/** Webhook subscription secrets are `ramp_sec_…` (docs/ramp-behaviour.md#webhooks). */
export function newWebhookSecret(): string {
  return `ramp_sec_${randomToken(32)}`;
}

export function newUuid(): string {
  return randomUUID();
}

/** Value of the `x-trace-id` header every Ramp response carries (B5). */
export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time string comparison (hash first so lengths never leak through timing). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
