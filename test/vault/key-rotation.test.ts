/**
 * Key rotation under load, both dialects: a server in emulator mode (dev key file) keeps serving
 * connects, status reads and disconnects (which decrypt) while `ramp-connect keys rotate` runs as a
 * separate process → 0 failed requests, every row on the new key afterwards, every row decrypts,
 * and the old key is then removable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { ConnectionStore } from '../../src/connections/connection-store.ts';
import { loadKeyRing } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { runCli } from '../helpers/processes.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { DEFAULT_SYNC_SCOPES } from '../helpers/cc-token-provider.ts';
import { SubscriptionStore } from '../../src/ramp-webhooks/subscription-store.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: keys rotate under load`, () => {
    let t: TestServer;
    let dataDir: string;
    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'rc-keys-'));
      t = await startTestServer({ dialect, env: { ENCRYPTION_KEYS: '', DATA_DIR: dataDir, RAMP_WEBHOOK_SUBSCRIBE: 'on' } });
    });
    // Closing waits for the syncs and Ramp webhook jobs the 20 connections started; on a busy machine that
    // took over vitest's default 60 s once, so the hook gets more time (it proves nothing by its speed).
    afterAll(async () => {
      await t.close();
      rmSync(dataDir, { recursive: true, force: true });
    }, 240_000);

    it('rewraps every row online with no failed request', async () => {
      const emu = emulatorControl(t.emulator.url);
      const app = await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: [...DEFAULT_SYNC_SCOPES] });
      const body = { client_id: app.client_id, client_secret: app.client_secret };
      const tenants: Tenant[] = [];
      for (let i = 0; i < 30; i++) tenants.push(await createTenant(t.server.ctx.db, 'owner'));
      for (const tenant of tenants.slice(0, 20)) {
        expect((await request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: tenant.headers, json: body })).status).toBe(201);
      }
      const env = { DATABASE_URL: t.database.url, DATA_DIR: dataDir, RAMP_ENV: 'emulator', ENCRYPTION_KEYS: '' };
      // Each connection's Ramp webhook subscription holds Ramp's secret, sealed: rotated like the tokens.
      const sealedSubscriptions = () => t.server.ctx.db.kysely.selectFrom('ramp_webhook_subscriptions').selectAll().where('secret', 'is not', null).execute();
      await expect.poll(async () => (await sealedSubscriptions()).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(20);
      const before = JSON.parse((await runCli(['keys', 'status'], env)).stdout);
      const oldKid = before.active_kid;

      let stop = false;
      const failures: string[] = [];
      let requests = 0;
      const worker = async (tenant: Tenant) => {
        while (!stop) {
          const steps = [
            () => request(`${t.url}/api/v1/ramp/status`, { headers: tenant.headers }),
            () => request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: tenant.headers, json: body }),
            () => request(`${t.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: tenant.headers }),
          ];
          for (const step of steps) {
            const res = await step();
            requests++;
            if (res.status >= 500 || (res.status === 204 && res.headers.get('x-ramp-revocation') !== 'revoked')) failures.push(`${res.status} ${res.text}`);
          }
        }
      };
      const load = Promise.all(tenants.slice(20).map(worker));
      const rotation = await runCli(['keys', 'rotate'], env, 60_000);
      stop = true;
      await load;
      expect(rotation.code, rotation.stderr).toBe(0);
      const rotated = JSON.parse(rotation.stdout);
      expect(rotated.active_kid).not.toBe(oldKid);
      expect(requests).toBeGreaterThan(30);
      expect(failures).toEqual([]);

      const after = JSON.parse((await runCli(['keys', 'status'], env)).stdout);
      const byKid = Object.fromEntries(after.keys.map((k: { kid: string }) => [k.kid, k]));
      expect(byKid[oldKid]).toMatchObject({ rows: 0, removable: true });
      expect(byKid[rotated.active_kid]).toMatchObject({ active: true });
      // Every stored connection still decrypts with the server's (reloaded) key ring.
      const rows = await t.server.ctx.db.kysely.selectFrom('ramp_connections').selectAll().execute();
      expect(rows.length).toBeGreaterThanOrEqual(20);
      const vault = new Vault(loadKeyRing(loadConfig(env), () => {}));
      const reader = new ConnectionStore(t.server.ctx.db, vault, Date.now);
      for (const row of rows) {
        expect(row.data_key_kid).toBe(rotated.active_kid);
        expect(reader.open(row).accessToken).toMatch(/^ramp_/);
      }
      const subscriptions = await sealedSubscriptions();
      expect(subscriptions.length).toBeGreaterThanOrEqual(20);
      const subscriptionReader = new SubscriptionStore(t.server.ctx.db, vault);
      for (const row of subscriptions) {
        expect(row.data_key_kid).toBe(rotated.active_kid);
        expect(subscriptionReader.openSecret(row)).toMatch(/^ramp_sec_/);
      }
      // The old key can now go.
      const removal = await runCli(['keys', 'rotate', '--remove-old'], env, 60_000);
      expect(removal.code, removal.stderr).toBe(0);
      expect(JSON.parse(removal.stdout).removed_kids).toContain(oldKid);
      // Reads still work after the removal (docs/guarantees.md#g15): every row opens with the trimmed key ring,
      // and the running server decrypts a connection to revoke it at Ramp.
      const trimmed = new ConnectionStore(t.server.ctx.db, new Vault(loadKeyRing(loadConfig(env), () => {})), Date.now);
      for (const row of await t.server.ctx.db.kysely.selectFrom('ramp_connections').selectAll().execute()) expect(trimmed.open(row).accessToken).toMatch(/^ramp_/);
      const connected = tenants.slice(0, 20)[0]!;
      const disconnect = await request(`${t.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: connected.headers });
      expect(disconnect.status).toBe(204);
      expect(disconnect.headers.get('x-ramp-revocation')).toBe('revoked');
    });
  });
}
