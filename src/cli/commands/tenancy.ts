/** @module `business create`, `user create`, `token create` (`token list` and `token revoke`: tokens.ts). */
import { createApiToken } from '../../auth/api-tokens-repo.ts';
import type { Role } from '../../db/schema.ts';
import { ensureDemoOwner } from '../../tenancy/demo-bootstrap.ts';
import { ROLES, createBusiness, createUserWithMembership, toBusinessView } from '../../tenancy/tenancy-repo.ts';
import { ApiError } from '../../core/errors.ts';
import { optionalInt, requireFlag, requireUuid } from '../args.ts';
import { CliError, printResult } from '../output.ts';
import type { CommandInput } from './command.ts';
import { tokenLimitHint } from './tokens.ts';
import { withDb } from './with-db.ts';

export async function businessCreate({ flags, config }: CommandInput): Promise<void> {
  const name = requireFlag(flags, 'name');
  if (name.length > 255) throw new CliError('--name must be at most 255 characters', 2);
  const row = await withDb(config, (db) => createBusiness(db.kysely, { name }));
  printResult(toBusinessView(row), flags);
}

export async function userCreate({ flags, config }: CommandInput): Promise<void> {
  const email = requireFlag(flags, 'email');
  const businessId = requireUuid(flags, 'business', 'business');
  const role = requireFlag(flags, 'role') as Role;
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new CliError('--email must be an e-mail address', 2);
  if (!ROLES.includes(role)) throw new CliError(`--role must be one of ${ROLES.join(', ')}`, 2);
  const user = await withDb(config, (db) => createUserWithMembership(db.kysely, { email, businessId, role }));
  printResult(user, flags);
}

/**
 * `token create --user ID`, or `--demo`: the demo business's owner (created or reused), so a first token
 * takes one command; its output then also names the business and user.
 */
export async function tokenCreate({ flags, config }: CommandInput): Promise<void> {
  const demo = flags.demo === true;
  if (demo && flags.user !== undefined) throw new CliError('give either --user or --demo, not both', 2);
  const userId = demo ? '' : requireUuid(flags, 'user', 'user');
  const days = optionalInt(flags, 'expires-in-days') ?? 365;
  if (days < 1 || days > 365) throw new CliError('--expires-in-days must be between 1 and 365', 2);
  const permission = flags.permission;
  if (permission !== undefined && permission !== 'ramp:token') throw new CliError('--permission must be ramp:token', 2);
  const { result, owner } = await withDb(config, async (db) => {
    const owner = demo ? await ensureDemoOwner(db.kysely) : undefined;
    const id = owner?.userId ?? userId;
    const user = await db.kysely.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst();
    if (!user) throw new CliError(`no user with id ${userId}`);
    const result = await createApiToken(db, {
      userId: user.id,
      name: typeof flags.name === 'string' ? flags.name : demo ? 'demo' : 'cli',
      expiresInDays: days,
      permissions: permission ? [permission] : [],
    }).catch((error: unknown) => {
      // The limit names the way past it: list this user's tokens, revoke one.
      if (error instanceof ApiError && error.code === 'token_limit_reached') throw new CliError(tokenLimitHint(demo ? '--demo' : `--user ${user.id}`));
      throw error;
    });
    return { result, owner };
  });
  if (flags.shell === true) {
    // For `eval "$(ramp-connect token create --demo --shell)"`: the values are a dz_ token and a UUID,
    // so single quotes need no escaping.
    process.stdout.write(`export TOKEN='${result.token}'\n${owner ? `export BUSINESS='${owner.businessId}'\n` : ''}`);
    return;
  }
  const demoFields = owner ? { business_id: owner.businessId, user_id: owner.userId, email: owner.email } : {};
  printResult({ token: result.token, ...demoFields, token_info: { ...result.info, jti: result.info.id } }, flags);
}
