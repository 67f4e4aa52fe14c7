/**
 * @module First start on an empty database: a demo business so `npm start` has something to show, and
 * its owner for `ramp-connect token create --demo` (the one command that gives a first API token).
 */
import type { Kysely } from 'kysely';
import type { BusinessesTable, Database } from '../db/schema.ts';
import { countBusinesses, createBusiness, createUserWithMembership } from './tenancy-repo.ts';

export const DEMO_BUSINESS_NAME = 'Demo business';
/** `.example` is reserved (RFC 2606): the address can never reach anyone. */
export const DEMO_OWNER_EMAIL = 'owner@demo.example';

export async function bootstrapDemo(db: Kysely<Database>): Promise<BusinessesTable | undefined> {
  if ((await countBusinesses(db)) > 0) return undefined;
  return createBusiness(db, { name: DEMO_BUSINESS_NAME });
}

/**
 * The demo business (the oldest one of that name; created when there is none, so the command also works
 * before the first `serve`) and its owner, reused on every call.
 */
export async function ensureDemoOwner(db: Kysely<Database>): Promise<{ businessId: string; userId: string; email: string }> {
  const existing = await db
    .selectFrom('businesses')
    .select('id')
    .where('name', '=', DEMO_BUSINESS_NAME)
    .orderBy('created_at')
    .orderBy('id')
    .executeTakeFirst();
  const businessId = existing?.id ?? (await createBusiness(db, { name: DEMO_BUSINESS_NAME })).id;
  const user = await createUserWithMembership(db, { email: DEMO_OWNER_EMAIL, businessId, role: 'owner' });
  return { businessId, userId: user.id, email: user.email };
}
