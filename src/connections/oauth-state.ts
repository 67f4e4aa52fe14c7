/**
 * @module Pending authorizations for the redirect flow (docs/guarantees.md#oauth-redirect-flow).
 * `state` is 32 random bytes, stored only as its SHA-256 together with the business, user, environment,
 * return URL and the PKCE verifier (sealed by the vault); it lives 10 minutes and is consumed atomically
 * (`DELETE … RETURNING`), so a callback can exchange a code at most once.
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

/**
 * Atomically takes the pending authorization for `state` (single use). Returns undefined for an unknown,
 * reused or expired state. Expired rows met on the way are deleted.
 */
export async function consumePendingAuthorization(db: Db, vault: Vault, state: string, now: number): Promise<ConsumedAuthorization | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(state)) return undefined;
  const row = await db.kysely.deleteFrom('oauth_states').where('state_hash', '=', hashState(state)).returningAll().executeTakeFirst();
  if (!row || row.expires_at <= now) return undefined;
  const scope = oauthStateScope(row);
  const codeVerifier = vault.openField(scope, vault.unwrap(scope, row.data_key), 'code_verifier', row.code_verifier);
  return { row, codeVerifier };
}

export async function deleteExpiredAuthorizations(db: Db, now: number): Promise<number> {
  const result = await db.kysely.deleteFrom('oauth_states').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
