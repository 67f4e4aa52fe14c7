/**
 * (e) Proactive-refresh claims among N connections (1% due): time per claimed batch of 100, and the
 * RSS of a server process idling on that database. Rows carry random bytes where token ciphertexts
 * would be (the claim never decrypts), but real data keys wrapped under the bench key: serve checks at
 * startup that its key ring unwraps the stored data keys (src/vault/key-ring-check.ts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { openDatabase, type Dialect } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { loadConfig } from '../../src/config/config.ts';
import { RefreshScheduler } from '../../src/tokens/refresh-scheduler.ts';
import type { TokenManager } from '../../src/tokens/token-manager.ts';
import { startServer } from '../lib/processes.ts';
import { scratchDatabase } from '../lib/scratch-db.ts';
import { parseKeyRing, staticKeyRing } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { BENCH_KEYS } from './token-hot-path.ts';

export interface ClaimResult {
  connections: number;
  due: number;
  batches: number;
  medianBatchMs: number;
  p99BatchMs: number;
  insertSeconds: number;
  serverRssMb: number;
}

export async function benchClaim(dialect: Dialect, connections: number): Promise<ClaimResult> {
  const scratch = await scratchDatabase(dialect);
  const db = openDatabase(scratch.url);
  try {
    await migrateToLatest(db);
    const vault = new Vault(staticKeyRing(parseKeyRing(BENCH_KEYS)));
    const now = Date.now();
    const insertStarted = performance.now();
    const chunk = dialect === 'sqlite' ? 500 : 1000;
    for (let offset = 0; offset < connections; offset += chunk) {
      const n = Math.min(chunk, connections - offset);
      const businesses = Array.from({ length: n }, (_, i) => ({ id: randomUUID(), name: `b${offset + i}`, default_currency: 'USD', created_at: now }));
      await db.kysely.insertInto('businesses').values(businesses).execute();
      await db.kysely
        .insertInto('ramp_connections')
        .values(
          businesses.map((b, i) => {
            const due = (offset + i) % 100 === 0;
            const expiresAt = now + (due ? 60_000 : 3_600_000 + ((offset + i) % 3_600) * 1_000);
            const id = randomUUID();
            const dataKey = vault.newDataKey({ environment: 'sandbox', businessId: b.id, rowId: id });
            return {
              id,
              business_id: b.id,
              environment: 'sandbox' as const,
              auth_method: 'oauth' as const,
              status: 'connected' as const,
              status_reason: null,
              scopes: 'business:read',
              client_id: 'ramp_id_bench',
              data_key: dataKey.wrapped,
              data_key_kid: dataKey.kid,
              access_token: randomBytes(64),
              refresh_token: randomBytes(64),
              client_secret: null,
              access_token_expires_at: expiresAt,
              last_refreshed_at: now,
              version: 0,
              lease_owner: null,
              lease_until: null,
              refresh_attempt_id: null,
              refresh_attempt_at: null,
              refresh_failures: 0,
              next_refresh_at: due ? now - 1_000 : expiresAt - 600_000,
              last_error: null,
              last_error_at: null,
              created_by_token_id: null,
              created_at: now,
              updated_at: now,
            };
          }),
        )
        .execute();
    }
    const insertSeconds = (performance.now() - insertStarted) / 1000;
    const ctx = { config: loadConfig({ RAMP_ENV: 'sandbox', ENCRYPTION_KEYS: BENCH_KEYS }), db, log: createLogger('silent'), now: Date.now, onClose: () => {} };
    const scheduler = new RefreshScheduler({ ctx, manager: { replicaId: 'bench' } as TokenManager, batchSize: 100 });
    const times: number[] = [];
    let due = 0;
    for (;;) {
      const started = performance.now();
      const claimed = await scheduler.claimDue();
      if (claimed.length === 0) break;
      times.push(performance.now() - started);
      due += claimed.length;
    }
    await db.close();
    const server = await startServer({ DATABASE_URL: scratch.url, RAMP_ENV: 'sandbox', ENCRYPTION_KEYS: BENCH_KEYS, REFRESH_INTERVAL_MS: '0' });
    const serverRssMb = server.rssMb();
    await server.stop();
    const sorted = [...times].sort((a, b) => a - b);
    const pick = (q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 100) / 100;
    return { connections, due, batches: times.length, medianBatchMs: pick(0.5), p99BatchMs: pick(0.99), insertSeconds: Math.round(insertSeconds * 10) / 10, serverRssMb };
  } finally {
    await db.close().catch(() => {});
    await scratch.drop();
  }
}
