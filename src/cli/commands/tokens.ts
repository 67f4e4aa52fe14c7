/**
 * @module `token list` and `token revoke`: an operator's view of API tokens (what `token create` made),
 * so the per-user limit of active tokens (MAX_ACTIVE_TOKENS_PER_USER) never leaves anyone stuck. A token's
 * secret is shown once, at creation, and never again: these print ids, names and dates only.
 */
import { audit } from '../../audit/audit-log.ts';
import { MAX_ACTIVE_TOKENS_PER_USER, findApiTokenById, listApiTokensForOperator, revokeApiToken } from '../../auth/api-tokens-repo.ts';
import { ensureDemoOwner } from '../../tenancy/demo-bootstrap.ts';
import { requireFlag, requireUuid } from '../args.ts';
import { CliError, printResult } from '../output.ts';
import type { CommandInput } from './command.ts';
import { withDb } from './with-db.ts';

const TOKEN_ID = /^[0-9A-Za-z]{16}$/;

/** What `token create` says at the limit: the two commands that get past it, for the same user. */
export function tokenLimitHint(who: '--demo' | `--user ${string}`): string {
  return (
    `At most ${MAX_ACTIVE_TOKENS_PER_USER} active API tokens are allowed per user; ` +
    `see them with \`npx ramp-connect token list ${who}\`, then revoke one with \`npx ramp-connect token revoke --id <id>\``
  );
}

/** `token list --user ID | --demo | --business ID [--all]`: active tokens (with `--all`, revoked and expired too). */
export async function tokenList({ flags, config }: CommandInput): Promise<void> {
  const given = (['user', 'demo', 'business'] as const).filter((name) => flags[name] !== undefined);
  if (given.length !== 1) throw new CliError('give one of --user ID, --demo or --business ID', 2);
  const activeOnly = flags.all !== true;
  const tokens = await withDb(config, async (db) => {
    if (flags.demo === true) return listApiTokensForOperator(db.kysely, { userId: (await ensureDemoOwner(db.kysely)).userId }, { activeOnly });
    if (given[0] === 'business') {
      const businessId = requireUuid(flags, 'business', 'business');
      const business = await db.kysely.selectFrom('businesses').select('id').where('id', '=', businessId).executeTakeFirst();
      if (!business) throw new CliError(`no business with id ${businessId}`);
      return listApiTokensForOperator(db.kysely, { businessId: business.id }, { activeOnly });
    }
    const userId = requireUuid(flags, 'user', 'user');
    const user = await db.kysely.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
    if (!user) throw new CliError(`no user with id ${userId}`);
    return listApiTokensForOperator(db.kysely, { userId: user.id }, { activeOnly });
  });
  printResult(
    tokens.map((t) => ({
      id: t.id,
      name: t.name,
      status: t.status,
      user_id: t.user_id,
      email: t.email,
      ...(t.role === null ? {} : { role: t.role }),
      permissions: t.permissions,
      token_prefix: t.token_prefix,
      created_at: t.created_at,
      expires_at: t.expires_at,
      last_used_at: t.last_used_at,
      revoked_at: t.revoked_at,
    })),
    flags,
  );
}

/**
 * `token revoke --id ID`: revokes any user's token (the operator's command; the HTTP route revokes the
 * caller's own only). Servers stop accepting it within their auth cache's second. Revoking a revoked
 * token changes nothing and says so in `revoked_at`.
 */
export async function tokenRevoke({ flags, config }: CommandInput): Promise<void> {
  const id = requireFlag(flags, 'id');
  if (!TOKEN_ID.test(id)) throw new CliError('--id must be a token id (16 letters and digits, as token list prints it)', 2);
  const info = await withDb(config, async (db) => {
    const row = await findApiTokenById(db.kysely, id);
    if (!row) throw new CliError(`no token with id ${id}`);
    const wasRevoked = row.revoked_at !== null;
    const revoked = await revokeApiToken(db.kysely, row.user_id, id, 'revoked by an operator (ramp-connect token revoke)');
    if (!wasRevoked) await audit(db.kysely, { businessId: null, actorTokenId: null, action: 'api_token.revoke', outcome: 'success', target: `token_id=${id}`, detail: 'ramp-connect token revoke' });
    return { ...revoked, user_id: row.user_id };
  });
  printResult({ id: info.id, name: info.name, user_id: info.user_id, revoked_at: info.revoked_at, revocation_reason: info.revocation_reason }, flags);
}
