/**
 * A separate process that refreshes Ramp tokens through its own TokenManager on a shared database, for
 * the multi-process tests. Modes (env MODE):
 *  - `force`: WORKERS concurrent loops force refreshes (as after a Ramp 401) round-robin over
 *    BUSINESS_IDS until the emulator has counted TARGET refresh grants in total;
 *  - `hold`: asks once for a token of BUSINESS_IDS[0] (the test makes Ramp hang, then kills us).
 * Prints one JSON line with what it did.
 */
import { loadConfig } from '../../src/config/config.ts';
import { ConnectionStore } from '../../src/connections/connection-store.ts';
import { openDatabase } from '../../src/db/database.ts';
import { NO_EVENTS } from '../../src/events/event-sink.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { RampOAuthClient } from '../../src/oauth/ramp-oauth-client.ts';
import { TokenManager } from '../../src/tokens/token-manager.ts';
import { loadKeyRing } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';

const env = process.env;
const config = loadConfig(env);
const db = openDatabase(config.databaseUrl, { poolSize: 4 });
const ctx = { config, db, log: createLogger('silent'), now: Date.now, onClose: () => {} };
const store = new ConnectionStore(db, new Vault(loadKeyRing(config, () => {})), Date.now);
const manager = new TokenManager({
  ctx,
  store,
  oauth: new RampOAuthClient({ timeoutMs: Number(env.TOKEN_TIMEOUT_MS ?? 10_000) }),
  oauthApp: { clientId: config.rampClientId!, clientSecret: config.rampClientSecret! },
  events: NO_EVENTS,
  leaseMs: config.refreshLeaseMs,
});
const businessIds = (env.BUSINESS_IDS ?? '').split(',');
const emulatorUrl = config.rampHosts.production.apiBaseUrl;

async function emulatorRefreshes(): Promise<number> {
  const stats = (await (await fetch(`${emulatorUrl}/__emulator/stats`)).json()) as { grants: { refresh_token: number } };
  return stats.grants.refresh_token;
}

if (env.MODE === 'hold') {
  process.stdout.write('holding\n');
  await manager.getAccess(businessIds[0]!);
  process.stdout.write('unexpectedly finished\n');
} else {
  const target = Number(env.TARGET);
  let done = false;
  let forced = 0;
  const errors: string[] = [];
  const watcher = (async () => {
    while (!done) {
      if ((await emulatorRefreshes()) >= target) done = true;
      else await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const worker = async (offset: number) => {
    for (let i = offset; !done; i++) {
      const businessId = businessIds[i % businessIds.length]!;
      try {
        const access = await manager.getAccess(businessId);
        await manager.refreshAfterUnauthorized(businessId, access.accessToken);
        forced++;
      } catch (error) {
        errors.push((error as Error).message);
        if (errors.length > 20) done = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Number(env.WORKERS ?? 2) }, (_, i) => worker(i * 7)));
  await watcher;
  process.stdout.write(`${JSON.stringify({ forced, errors: errors.slice(0, 5), error_count: errors.length })}\n`);
  await db.close();
}
