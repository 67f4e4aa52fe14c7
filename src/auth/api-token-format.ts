/**
 * @module The shape of our API tokens: `dz_<16-char id>_<43-char secret>`.
 * The id (base62) lets us find the row without scanning; the secret is 32 random bytes (base64url,
 * 256 bits, RFC 6749 §10.10 asks for ≥128). Only SHA-256 of the whole token is stored: at 256 bits of
 * entropy a slow KDF adds nothing (docs/guarantees.md#g33).
 */
import { hash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

const PREFIX = 'dz_';
const ID_LENGTH = 16;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TOKEN_PATTERN = /^dz_([0-9A-Za-z]{16})_([A-Za-z0-9_-]{43})$/;

export interface IssuedApiToken {
  readonly id: string;
  readonly token: string;
  readonly prefix: string;
  readonly digest: string;
}

export function issueApiToken(): IssuedApiToken {
  let id = '';
  for (let i = 0; i < ID_LENGTH; i++) id += BASE62[randomInt(62)];
  const token = `${PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  return { id, token, prefix: `${PREFIX}${id.slice(0, 8)}`, digest: digestApiToken(token) };
}

/** Runs on every request: one-shot `crypto.hash` (Node ≥ 20.12) skips building a Hash object. */
export function digestApiToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** The id inside a well-formed token, or undefined for anything else (never throws). */
export function apiTokenId(token: string): string | undefined {
  return TOKEN_PATTERN.exec(token)?.[1];
}

/** Constant-time comparison of two hex SHA-256 digests (fixed length, so `timingSafeEqual` cannot throw). */
export function digestsMatch(presentedToken: string, storedDigest: string): boolean {
  const a = Buffer.from(digestApiToken(presentedToken), 'hex');
  const b = Buffer.from(storedDigest, 'hex');
  return a.length === 32 && b.length === 32 && timingSafeEqual(a, b);
}
