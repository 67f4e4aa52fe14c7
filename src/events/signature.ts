/**
 * @module Signing outbound webhooks, and verifying them on the receiving side.
 *
 * Header (Stripe / Standard Webhooks style): `x-ramp-connect-signature: t=<unix seconds>,v1=<hex>` where
 * `v1 = HMAC-SHA256(key = the endpoint secret "whsec_…" as UTF-8, message = "<t>.<raw body>")`.
 * Signing the timestamp with the body lets a receiver reject replays older than its tolerance; a bare
 * body HMAC (Nango's `X-Nango-Hmac-Sha256`) can be replayed forever. Several `v1=` entries may appear
 * (a receiver accepts any), which leaves room for secret rotation.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-ramp-connect-signature';
export const SECRET_PREFIX = 'whsec_';
const DEFAULT_TOLERANCE_S = 300;

/** A new endpoint secret: 32 random bytes, base64url, prefixed so secret scanners can recognise it. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

function hmacHex(secret: string, timestampS: number, rawBody: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestampS}.${rawBody}`, 'utf8').digest('hex');
}

/** The header value for `rawBody` sent at `nowMs`. */
export function signWebhook(secret: string, rawBody: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmacHex(secret, t, rawBody)}`;
}

export interface ParsedSignature {
  readonly timestampS: number;
  readonly v1: readonly string[];
}

/** Parses `t=…,v1=…[,v1=…]`; undefined when the timestamp or every signature is missing. */
export function parseSignatureHeader(header: string | null | undefined): ParsedSignature | undefined {
  if (typeof header !== 'string' || header.length > 4096) return undefined;
  let timestampS: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestampS = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) v1.push(value);
  }
  return timestampS === undefined || v1.length === 0 ? undefined : { timestampS, v1 };
}

export interface VerifyOptions {
  /** Accept timestamps at most this far from `now`, either way. Default 300 s. */
  readonly toleranceS?: number;
  /** Epoch milliseconds; default `Date.now()`. */
  readonly now?: number;
}

/**
 * For receivers: true when `header` carries a valid signature of exactly `rawBody` (the bytes as
 * received, before any JSON parsing) made with `secret` within the tolerance. Comparisons are
 * constant-time.
 *
 * @example
 * const ok = verifyWebhookSignature(process.env.WEBHOOK_SECRET, req.headers['x-ramp-connect-signature'], rawBody);
 * if (!ok) return reply.code(400).send();
 */
export function verifyWebhookSignature(secret: string, header: string | null | undefined, rawBody: string, options: VerifyOptions = {}): boolean {
  const parsed = parseSignatureHeader(header);
  if (!parsed || typeof secret !== 'string' || secret.length === 0) return false;
  const toleranceS = options.toleranceS ?? DEFAULT_TOLERANCE_S;
  const nowS = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(nowS - parsed.timestampS) > toleranceS) return false;
  const expected = Buffer.from(hmacHex(secret, parsed.timestampS, rawBody), 'hex');
  // Every candidate is compared (no early exit) and all are 32 bytes, as timingSafeEqual requires.
  let match = false;
  for (const candidate of parsed.v1) {
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) match = true;
  }
  return match;
}
