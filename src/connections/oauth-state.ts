/**
 * @module Pending authorizations for the redirect flow (docs/guarantees.md#oauth-redirect-flow).
 * `state` is 32 random bytes, stored only as its SHA-256 together with the business, user, environment,
 * return URL and the PKCE verifier (sealed by the vault); it lives 10 minutes and is consumed atomically
 * (`DELETE … RETURNING`), so a callback can exchange a code at most once. The browser that opens the
 * launch URL is bound to the row by a cookie secret's digest (`browser_hash`); only that browser's
 * callback consumes it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { OauthStatesTable } from '../db/schema.ts';
import { oauthStateScope } from '../vault/encrypted-tables.ts';
import type { Vault } from '../vault/vault.ts';
import type { Environment } from './connection-store.ts';

export const STATE_TTL_MS = 10 * 60_000;

export interface PendingAuthorization {
  readonly state: string;
  readonly codeChallenge: string;
  readonly expiresAt: number;
}

export interface ConsumedAuthorization {
  readonly row: OauthStatesTable;
  readonly codeVerifier: string;
}

export function hashState(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('hex');
}

/**
 * A fresh `state` (RFC 6749 §10.12: unguessable) and PKCE pair (RFC 7636 §4.1–4.2: 43–128 characters,
 * S256): 32 random bytes each, base64url-encoded to 43 characters.
 */
export function newAuthorizationSecrets(): { readonly state: string; readonly codeVerifier: string; readonly codeChallenge: string } {
  const state = randomBytes(32).toString('base64url');
  const codeVerifier = randomBytes(32).toString('base64url');
  const codeChallenge = createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
  return { state, codeVerifier, codeChallenge };
}

export async function createPendingAuthorization(
  db: Db,
  vault: Vault,
  input: { businessId: string; userId: string; tokenId: string; environment: Environment; returnTo: string; scopes: readonly string[]; now: number },
): Promise<PendingAuthorization> {
  const { state, codeVerifier, codeChallenge } = newAuthorizationSecrets();
  const stateHash = hashState(state);
  const scope = oauthStateScope({ environment: input.environment, business_id: input.businessId, state_hash: stateHash });
  const dataKey = vault.newDataKey(scope);
  const expiresAt = input.now + STATE_TTL_MS;
  await db.kysely
    .insertInto('oauth_states')
    .values({
      state_hash: stateHash,
      business_id: input.businessId,
      user_id: input.userId,
      token_id: input.tokenId,
      environment: input.environment,
      return_to: input.returnTo,
      scopes: input.scopes.join(' '),
      data_key: dataKey.wrapped,
      data_key_kid: dataKey.kid,
      code_verifier: vault.sealField(scope, dataKey, 'code_verifier', codeVerifier),
      expires_at: expiresAt,
      created_at: input.now,
    })
    .execute();
  return { state, codeChallenge, expiresAt };
}

/** A fresh browser secret for the binding cookie: 32 random bytes, base64url (43 characters). */
export function newBrowserSecret(): string {
  return randomBytes(32).toString('base64url');
}

function wellFormed(secret: string | undefined): secret is string {
  return secret !== undefined && /^[A-Za-z0-9_-]{43}$/.test(secret);
}

export interface LaunchedAuthorization {
  readonly row: OauthStatesTable;
  readonly codeChallenge: string;
}

/**
 * Binds the pending authorization to the browser holding `browserSecret` (only its SHA-256 is stored),
 * once: an unknown, expired or already bound state gives undefined, so a launch URL opens in one
 * browser only (docs/guarantees.md#g41). Returns the PKCE challenge to rebuild Ramp's authorize URL.
 */
export async function bindPendingAuthorization(db: Db, vault: Vault, state: string, browserSecret: string, now: number): Promise<LaunchedAuthorization | undefined> {
  if (!wellFormed(state) || !wellFormed(browserSecret)) return undefined;
  const row = await db.kysely
    .updateTable('oauth_states')
    .set({ browser_hash: hashState(browserSecret) })
    .where('state_hash', '=', hashState(state))
    .where('browser_hash', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
  if (!row) return undefined;
  const scope = oauthStateScope(row);
  const codeVerifier = vault.openField(scope, vault.unwrap(scope, row.data_key), 'code_verifier', row.code_verifier);
  return { row, codeChallenge: createHash('sha256').update(codeVerifier, 'ascii').digest('base64url') };
}

export type ConsumeResult = ConsumedAuthorization | { readonly refused: 'unknown' | 'other_browser' };

/**
 * Atomically takes the pending authorization for `state` (single use), only for the browser it was
 * bound to: the delete's condition holds the browser's digest, so a callback from another browser (or
 * none) consumes nothing and the rightful browser can still finish. Expired rows are refused.
 */
export async function consumePendingAuthorization(db: Db, vault: Vault, state: string, browserSecret: string | undefined, now: number): Promise<ConsumeResult> {
  if (!wellFormed(state)) return { refused: 'unknown' };
  const stateHash = hashState(state);
  const row = wellFormed(browserSecret)
    ? await db.kysely.deleteFrom('oauth_states').where('state_hash', '=', stateHash).where('browser_hash', '=', hashState(browserSecret)).returningAll().executeTakeFirst()
    : undefined;
  if (!row) {
    const other = await db.kysely.selectFrom('oauth_states').select('expires_at').where('state_hash', '=', stateHash).executeTakeFirst();
    return { refused: other && other.expires_at > now ? 'other_browser' : 'unknown' };
  }
  if (row.expires_at <= now) return { refused: 'unknown' };
  const scope = oauthStateScope(row);
  const codeVerifier = vault.openField(scope, vault.unwrap(scope, row.data_key), 'code_verifier', row.code_verifier);
  return { row, codeVerifier };
}

export async function deleteExpiredAuthorizations(db: Db, now: number): Promise<number> {
  const result = await db.kysely.deleteFrom('oauth_states').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
