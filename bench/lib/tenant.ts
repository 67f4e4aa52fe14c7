/** @module Bench fixtures written straight into the database the server uses. */
import { createApiToken } from '../../src/auth/api-tokens-repo.ts';
import type { Db } from '../../src/db/database.ts';
import { createBusiness, createUserWithMembership } from '../../src/tenancy/tenancy-repo.ts';

export async function benchTenant(db: Db, permissions: string[] = []): Promise<{ businessId: string; headers: Record<string, string> }> {
  const business = await createBusiness(db.kysely, { name: `bench ${Date.now()}` });
  const user = await createUserWithMembership(db.kysely, { email: `bench-${business.id}@example.com`, businessId: business.id, role: 'owner' });
  const { token } = await createApiToken(db, { userId: user.id, name: 'bench', permissions });
  return { businessId: business.id, headers: { authorization: `Bearer ${token}`, 'x-business-id': business.id } };
}
