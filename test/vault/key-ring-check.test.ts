/**
 * Checklist #16: a key ring that cannot read the stored rows stops the server at startup, naming key ids
 * only — a missing key id, or the right id with the wrong key material. One tampered row does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertKeyRingReadsStoredRows } from '../../src/vault/key-ring-check.ts';
import { parseKeyRing, staticKeyRing } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { startServerProcess } from '../helpers/processes.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { createHarness, type Harness } from '../helpers/token-harness.ts';
import { freePort, TEST_ENCRYPTION_KEYS } from '../helpers/test-server.ts';

const OTHER_MATERIAL = Buffer.alloc(32, 9).toString('base64');
const vaultOf = (keys: string) => new Vault(staticKeyRing(parseKeyRing(keys)));

for (const dialect of DIALECTS) {
  describe(`${dialect}: the key ring is checked against stored rows at startup`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
      await h.emu.faults({ rate_limit: false });
      await h.connectClientCredentials();
      await h.connectClientCredentials();
    });
    afterAll(async () => h?.close());

    it('passes with the right keys, also with a new active key in front', async () => {
      await assertKeyRingReadsStoredRows(h.db, vaultOf(TEST_ENCRYPTION_KEYS));
      await assertKeyRingReadsStoredRows(h.db, vaultOf(`test2:${OTHER_MATERIAL},${TEST_ENCRYPTION_KEYS}`));
    });

    it('fails naming the key id when it is missing or its material is wrong, never the key', async () => {
      const missing = assertKeyRingReadsStoredRows(h.db, vaultOf(`test2:${OTHER_MATERIAL}`));
      await expect(missing).rejects.toThrow(/key id\(s\) test1, which the key ring does not have/);
      const wrong = assertKeyRingReadsStoredRows(h.db, vaultOf(`test1:${OTHER_MATERIAL}`));
      await expect(wrong).rejects.toThrow(/key id\(s\) test1 do not decrypt/);
      await wrong.catch((error: Error) => expect(error.message).not.toContain(OTHER_MATERIAL));
    });

    it('one tampered row does not stop a server whose key is right', async () => {
      const [a, b] = await h.db.kysely.selectFrom('ramp_connections').selectAll().orderBy('id').limit(2).execute();
      await h.db.kysely.updateTable('ramp_connections').set({ data_key: b!.data_key }).where('id', '=', a!.id).execute();
      await assertKeyRingReadsStoredRows(h.db, vaultOf(TEST_ENCRYPTION_KEYS));
      await h.db.kysely.updateTable('ramp_connections').set({ data_key: a!.data_key }).where('id', '=', a!.id).execute();
    });

    it('`serve` with a key ring missing the stored key exits non-zero with a one-line reason', async () => {
      const port = await freePort();
      const started = startServerProcess({ PORT: String(port), DATABASE_URL: h.databaseUrl, RAMP_ENV: 'sandbox', ENCRYPTION_KEYS: `test2:${OTHER_MATERIAL}`, LOG_LEVEL: 'warn' }, 30_000);
      const failure = await started.then(
        async (server) => {
          await server.stop();
          return 'started';
        },
        (error: Error) => error.message,
      );
      expect(failure).toMatch(/server exited with 1: .*Encryption keys: stored rows use key id\(s\) test1/);
      expect(failure).not.toContain(OTHER_MATERIAL);
    });
  });
}
