/**
 * The proactive-refresh claim, both dialects: a batch never exceeds its size and concurrent claimers
 * (replicas) take disjoint rows; only due, connected, unleased rows are claimed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { Db } from '../../src/db/database.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { RefreshScheduler } from '../../src/tokens/refresh-scheduler.ts';
import type { TokenManager } from '../../src/tokens/token-manager.ts';
import { createBusiness } from '../../src/tenancy/tenancy-repo.ts';
import { DIALECTS, openTestDb } from '../helpers/test-db.ts';

async function insertConnections(db: Db, count: number, fields: (i: number) => Record<string, unknown>): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const business = await createBusiness(db.kysely, { name: `s${i}` });
    await db.kysely
      .insertInto('ramp_connections')
      .values({
        id: randomUUID(), business_id: business.id, environment: 'sandbox', auth_method: 'oauth', status: 'connected', status_reason: null, scopes: 'business:read',
        client_id: 'x', data_key: randomBytes(8), data_key_kid: 'k', access_token: null, refresh_token: null, client_secret: null, access_token_expires_at: now + 3_600_000,
        last_refreshed_at: now, version: 0, lease_owner: null, lease_until: null, refresh_attempt_id: null, refresh_attempt_at: null, refresh_failures: 0,
        next_refresh_at: now - 1_000, last_error: null, last_error_at: null, created_by_token_id: null, created_at: now, updated_at: now,
        ...fields(i),
      })
      .execute();
  }
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: refresh claim`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ db, cleanup } = await openTestDb(dialect));
    });
    afterAll(async () => cleanup());

    const scheduler = (owner: string) =>
      new RefreshScheduler({ ctx: { config: loadConfig({ RAMP_ENV: 'sandbox' }), db, log: createLogger('silent'), now: Date.now, onClose: () => {} }, manager: { replicaId: owner } as TokenManager, batchSize: 5 });

    it('six concurrent claimers of 5 take exactly 30 distinct rows of 40', async () => {
      await insertConnections(db, 40, () => ({}));
      const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => scheduler(`r${i}`).claimDue()));
      for (const claim of claims) expect(claim.length).toBeLessThanOrEqual(5);
      const all = claims.flat();
      expect(all).toHaveLength(30);
      expect(new Set(all).size).toBe(30);
    });

    it('skips rows that are not due, not connected, or leased', async () => {
      await db.kysely.deleteFrom('ramp_connections').execute();
      const now = Date.now();
      await insertConnections(db, 4, (i) => [{ next_refresh_at: now + 60_000 }, { status: 'needs_reauth' }, { lease_owner: 'other', lease_until: now + 60_000 }, {}][i]!);
      expect(await scheduler('me').claimDue()).toHaveLength(1);
    });
  });
}
