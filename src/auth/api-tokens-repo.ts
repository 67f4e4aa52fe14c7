/** @module API tokens: create (shown once), list, revoke, and the lookup the auth hook uses. */
import type { Kysely } from 'kysely';
import type { Db } from '../db/database.ts';
import type { ApiTokensTable, Database, Role } from '../db/schema.ts';
import { ApiError } from '../core/errors.ts';
import { issueApiToken } from './api-token-format.ts';

export const MAX_ACTIVE_TOKENS_PER_USER = 10;
const DAY_MS = 86_400_000;

export interface TokenInfo {
  id: string;
  name: string;
  description: string | null;
  token_prefix: string;
  token_type: 'api';
  permissions: string[];
  created_at: string;
  last_used_at: string | null;
  expires_at: string;
  revoked_at: string | null;
  revocation_reason: string | null;
}

export function toTokenInfo(row: ApiTokensTable): TokenInfo {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    token_prefix: row.token_prefix,
    token_type: 'api',
    permissions: JSON.parse(row.permissions) as string[],
    created_at: iso(row.created_at)!,
    last_used_at: iso(row.last_used_at),
    expires_at: iso(row.expires_at)!,
    revoked_at: iso(row.revoked_at),
    revocation_reason: row.revocation_reason,
  };
}

export interface CreateTokenInput {
  userId: string;
  name: string;
  description?: string | null;
  expiresInDays?: number;
  permissions?: string[];
  now?: number;
}

/**
 * Creates a token unless the user already has 10 active ones. The count and insert run in one
 * transaction so two concurrent requests cannot both pass the limit (SQLite serialises writers;
 * on PostgreSQL the user row is locked first).
 */
export async function createApiToken(db: Db, input: CreateTokenInput): Promise<{ token: string; info: TokenInfo }> {
  const now = input.now ?? Date.now();
  const issued = issueApiToken();
  const row: ApiTokensTable = {
    id: issued.id,
    user_id: input.userId,
    name: input.name,
    description: input.description ?? null,
    token_prefix: issued.prefix,
    digest: issued.digest,
    permissions: JSON.stringify(input.permissions ?? []),
    created_at: now,
    last_used_at: null,
    expires_at: now + (input.expiresInDays ?? 365) * DAY_MS,
    revoked_at: null,
    revocation_reason: null,
  };
  await db.kysely.transaction().execute(async (trx) => {
    await trx.selectFrom('users').select('id').where('id', '=', input.userId).$if(db.dialect === 'postgres', (q) => q.forUpdate()).executeTakeFirst();
    const { active } = await trx
      .selectFrom('api_tokens')
      .select((eb) => eb.fn.countAll<number>().as('active'))
      .where('user_id', '=', input.userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirstOrThrow();
    if (Number(active) >= MAX_ACTIVE_TOKENS_PER_USER) throw new ApiError('token_limit_reached');
    await trx.insertInto('api_tokens').values(row).execute();
  });
  return { token: issued.token, info: toTokenInfo(row) };
}

export async function listApiTokens(db: Kysely<Database>, userId: string): Promise<TokenInfo[]> {
  const rows = await db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id').execute();
  return rows.map(toTokenInfo);
}

/** A token as an operator sees it (`ramp-connect token list`): whose it is, and never its secret or digest. */
export interface OperatorTokenInfo extends TokenInfo {
  user_id: string;
  email: string;
  /** The user's role in the business listed (`--business`); null when listing by user. */
  role: Role | null;
  status: 'active' | 'revoked' | 'expired';
}

/**
 * The tokens of one user, or of every member of one business (each user's role in it), newest first;
 * `activeOnly` leaves out revoked and expired ones (those that count towards the limit).
 */
export async function listApiTokensForOperator(
  db: Kysely<Database>,
  owner: { readonly userId: string } | { readonly businessId: string },
  options: { readonly activeOnly: boolean; readonly now?: number },
): Promise<OperatorTokenInfo[]> {
  const now = options.now ?? Date.now();
  const members: { user_id: string; role: Role | null }[] =
    'businessId' in owner
      ? await db.selectFrom('memberships').select(['user_id', 'role']).where('business_id', '=', owner.businessId).execute()
      : [{ user_id: owner.userId, role: null }];
  if (members.length === 0) return [];
  const roles = new Map(members.map((m) => [m.user_id, m.role]));
  const rows = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .selectAll('api_tokens')
    .select('users.email')
    .where('api_tokens.user_id', 'in', [...roles.keys()])
    .$if(options.activeOnly, (q) => q.where('api_tokens.revoked_at', 'is', null).where('api_tokens.expires_at', '>', now))
    .orderBy('api_tokens.created_at', 'desc')
    .orderBy('api_tokens.id')
    .execute();
  return rows.map(({ email, ...token }) => {
    const status = token.revoked_at !== null ? 'revoked' : token.expires_at <= now ? 'expired' : 'active';
    return { ...toTokenInfo(token), user_id: token.user_id, email, role: roles.get(token.user_id) ?? null, status };
  });
}

/** Revokes the user's own token; another user's token id is a 404 (it does not exist for them). */
export async function revokeApiToken(db: Kysely<Database>, userId: string, tokenId: string, reason: string | null, now = Date.now()): Promise<TokenInfo> {
  const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', tokenId).where('user_id', '=', userId).executeTakeFirst();
  if (!row) throw new ApiError('not_found', 'Token not found');
  if (row.revoked_at === null) {
    await db.updateTable('api_tokens').set({ revoked_at: now, revocation_reason: reason }).where('id', '=', tokenId).execute();
    row.revoked_at = now;
    row.revocation_reason = reason;
  }
  return toTokenInfo(row);
}

export async function findApiTokenById(db: Kysely<Database>, id: string): Promise<ApiTokensTable | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function touchApiToken(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}
