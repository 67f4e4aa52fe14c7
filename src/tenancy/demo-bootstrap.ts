/** @module First start on an empty database: create a demo business so `npm start` has something to show. */
import type { Kysely } from 'kysely';
import type { BusinessesTable, Database } from '../db/schema.ts';
import { countBusinesses, createBusiness } from './tenancy-repo.ts';

export async function bootstrapDemo(db: Kysely<Database>): Promise<BusinessesTable | undefined> {
  if ((await countBusinesses(db)) > 0) return undefined;
  return createBusiness(db, { name: 'Demo business' });
}
