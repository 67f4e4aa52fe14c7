/** @module Businesses, users and memberships (roles owner > admin > member > viewer). */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { BusinessesTable, Database, Role } from '../db/schema.ts';
import { ApiError } from '../core/errors.ts';

export const ROLES: readonly Role[] = ['owner', 'admin', 'member', 'viewer'];
const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** True when `role` is at least `minimum`. */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}

export interface BusinessView {
  id: string;
  name: string;
  default_currency: string;
  created_at: string;
  role?: Role;
}

export function toBusinessView(row: BusinessesTable, role?: Role): BusinessView {
  const view: BusinessView = { id: row.id, name: row.name, default_currency: row.default_currency, created_at: new Date(row.created_at).toISOString() };
  if (role) view.role = role;
  return view;
}

export async function createBusiness(db: Kysely<Database>, input: { name: string; defaultCurrency?: string; ownerUserId?: string }): Promise<BusinessesTable> {
  const row: BusinessesTable = { id: randomUUID(), name: input.name, default_currency: input.defaultCurrency ?? 'USD', created_at: Date.now() };
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('businesses').values(row).execute();
    if (input.ownerUserId) {
      await trx.insertInto('memberships').values({ business_id: row.id, user_id: input.ownerUserId, role: 'owner', created_at: row.created_at }).execute();
    }
  });
  return row;
}

export async function getBusiness(db: Kysely<Database>, id: string): Promise<BusinessesTable | undefined> {
  return db.selectFrom('businesses').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function countBusinesses(db: Kysely<Database>): Promise<number> {
  const { n } = await db.selectFrom('businesses').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(n);
}

export async function listBusinessesForUser(db: Kysely<Database>, userId: string): Promise<BusinessView[]> {
  const rows = await db
    .selectFrom('businesses')
    .innerJoin('memberships', 'memberships.business_id', 'businesses.id')
    .selectAll('businesses')
    .select('memberships.role')
    .where('memberships.user_id', '=', userId)
    .orderBy('businesses.created_at')
    .orderBy('businesses.id')
    .execute();
  return rows.map((r) => toBusinessView(r, r.role));
}

export async function findUserByEmail(db: Kysely<Database>, email: string) {
  return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
}

/**
 * Creates the user (or reuses the one with that e-mail) and gives it `role` in the business.
 * An unknown business is a 404 so a typo is not silently accepted.
 */
export async function createUserWithMembership(
  db: Kysely<Database>,
  input: { email: string; businessId: string; role: Role },
): Promise<{ id: string; email: string; business_id: string; role: Role }> {
  const email = input.email.toLowerCase();
  return db.transaction().execute(async (trx) => {
    const business = await trx.selectFrom('businesses').select('id').where('id', '=', input.businessId).executeTakeFirst();
    if (!business) throw new ApiError('business_not_found');
    let user = await trx.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    const now = Date.now();
    if (!user) {
      user = { id: randomUUID(), email, created_at: now };
      await trx.insertInto('users').values(user).execute();
    }
    const existing = await trx.selectFrom('memberships').select('role').where('business_id', '=', input.businessId).where('user_id', '=', user.id).executeTakeFirst();
    if (existing) {
      await trx.updateTable('memberships').set({ role: input.role }).where('business_id', '=', input.businessId).where('user_id', '=', user.id).execute();
    } else {
      await trx.insertInto('memberships').values({ business_id: input.businessId, user_id: user.id, role: input.role, created_at: now }).execute();
    }
    return { id: user.id, email, business_id: input.businessId, role: input.role };
  });
}

export async function getMembershipRole(db: Kysely<Database>, businessId: string, userId: string): Promise<Role | undefined> {
  const row = await db.selectFrom('memberships').select('role').where('business_id', '=', businessId).where('user_id', '=', userId).executeTakeFirst();
  return row?.role;
}
