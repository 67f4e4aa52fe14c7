/**
 * Checklist #33: a revoked API token is refused by every replica within 2 s. Two `serve` processes share
 * one PostgreSQL database; each caches token rows for 1 s (README, Scaling out).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { startServerProcess, type ServerProcess } from '../helpers/processes.ts';
import { createTenant } from '../helpers/tenants.ts';
import { createTestDatabase, DIALECTS } from '../helpers/test-db.ts';
import { freePort, TEST_ENCRYPTION_KEYS } from '../helpers/test-server.ts';

describe.runIf(DIALECTS.includes('postgres'))('postgres: API token revocation across replicas', () => {
  it('a token revoked on one replica is refused by both within 2 s', async () => {
    const database = await createTestDatabase('postgres');
    const dataDir = mkdtempSync(join(tmpdir(), 'rc-revoke-'));
    const replicas: ServerProcess[] = [];
    const db = openDatabase(database.url);
    try {
      for (let i = 0; i < 2; i++) {
        const port = await freePort();
        const env = { DATABASE_URL: database.url, DATA_DIR: dataDir, RAMP_ENV: 'sandbox', ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn', REFRESH_INTERVAL_MS: '0' };
        replicas.push(await startServerProcess(env));
      }
      const tenant = await createTenant(db, 'owner');
      const businesses = (replica: ServerProcess) => fetch(`${replica.url}/api/v1/businesses`, { headers: { authorization: `Bearer ${tenant.token}` } }).then((res) => res.status);
      // Both replicas know (and cache) the token.
      for (const replica of replicas) expect(await businesses(replica)).toBe(200);
      const revoked = await fetch(`${replicas[0]!.url}/api/v1/tokens/${tenant.tokenId}`, { method: 'DELETE', headers: { authorization: `Bearer ${tenant.token}` } });
      expect(revoked.status).toBe(200);
      const revokedAt = Date.now();
      const refusedAfterMs: number[] = [];
      for (const replica of replicas) {
        // Judged by when each request was *sent*: a replica handles a request after it was sent, so one
        // sent > 2 s after the revocation that is still accepted is a real breach, however slow the
        // machine; a slow answer to a request sent earlier is not.
        for (;;) {
          const sentAfterMs = Date.now() - revokedAt;
          const status = await businesses(replica);
          if (status === 401) {
            refusedAfterMs.push(sentAfterMs);
            break;
          }
          expect(sentAfterMs, `replica ${replica.url} accepted the revoked token in a request sent ${sentAfterMs} ms after the revocation`).toBeLessThan(2_000);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      process.stdout.write(`revoked token refused in requests sent ${refusedAfterMs.join(' ms and ')} ms after the revocation\n`);
    } finally {
      await Promise.all(replicas.map((replica) => replica.stop()));
      await db.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
