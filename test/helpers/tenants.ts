/** @module Test tenants: a business, a user with a role in it, and an API token for that user. */
import { randomUUID } from 'node:crypto';
import { createApiToken } from '../../src/auth/api-tokens-repo.ts';
import type { Db } from '../../src/db/database.ts';
import type { Role } from '../../src/db/schema.ts';
import { createBusiness, createUserWithMembership } from '../../src/tenancy/tenancy-repo.ts';

export interface Tenant {
  readonly businessId: string;
  readonly userId: string;
  readonly token: string;
  readonly tokenId: string;
  readonly role: Role;
  /** Headers for an authenticated request to this tenant's business. */
  readonly headers: Record<string, string>;
}

export async function createTenant(db: Db, role: Role = 'owner', options: { businessId?: string; permissions?: string[] } = {}): Promise<Tenant> {
  const businessId = options.businessId ?? (await createBusiness(db.kysely, { name: `Biz ${randomUUID().slice(0, 8)}` })).id;
  const user = await createUserWithMembership(db.kysely, { email: `${randomUUID()}@example.com`, businessId, role });
  const { token, info } = await createApiToken(db, { userId: user.id, name: 'test', permissions: options.permissions ?? [] });
  return {
    businessId,
    userId: user.id,
    token,
    tokenId: info.id,
    role,
    headers: { authorization: `Bearer ${token}`, 'x-business-id': businessId },
  };
}
