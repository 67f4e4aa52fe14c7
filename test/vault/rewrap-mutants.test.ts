/**
 * Key rotation's row work on a real database, in-process: `rewrapAll` moves every encrypted table's
 * rows to the active key in batches, counts and skips unreadable rows (no endless loop), never
 * clobbers a row another process rewrote meanwhile (compare-and-set), and rethrows anything that is
 * not a decryption failure; `keyUsage` counts rows per key and table; the startup check names every
 * missing and every wrong key id at once. Written to kill the mutants `npm run mutate -- vault` left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionStore } from '../../src/connections/connection-store.ts';
import { createPendingAuthorization } from '../../src/connections/oauth-state.ts';
import type { Db } from '../../src/db/database.ts';
import { assertKeyRingReadsStoredRows } from '../../src/vault/key-ring-check.ts';
import { parseKeyRing, staticKeyRing } from '../../src/vault/keyring.ts';
import { keyUsage, rewrapAll } from '../../src/vault/rewrap.ts';
import { Vault, type DataKey, type RowScope } from '../../src/vault/vault.ts';
import { createTenant } from '../helpers/tenants.ts';
import { DIALECTS, openTestDb } from '../helpers/test-db.ts';

const KA = `a:${Buffer.alloc(32, 1).toString('base64')}`;
const KB = `b:${Buffer.alloc(32, 2).toString('base64')}`;
const KC = `c:${Buffer.alloc(32, 3).toString('base64')}`;
const vaultOf = (spec: string) => new Vault(staticKeyRing(parseKeyRing(spec)));
const TOKENS = { accessToken: 'at', refreshToken: 'rt', expiresInS: 3600, scope: undefined };

for (const dialect of DIALECTS) {
  describe(`${dialect}: rewrapAll, keyUsage and the startup key check`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ db, cleanup } = await openTestDb(dialect));
    });
    afterAll(async () => cleanup?.());

    async function seed(spec: string, connections: number, states: number): Promise<void> {
      const vault = vaultOf(spec);
      const store = new ConnectionStore(db, vault, () => Date.now());
      for (let i = 0; i < connections; i++) {
        const tenant = await createTenant(db);
        await store.create({ businessId: tenant.businessId, environment: 'sandbox', authMethod: 'oauth', clientId: 'c', requestedScopes: ['business:read'], tokens: TOKENS, createdByTokenId: null, replaceConnected: true });
      }
      for (let i = 0; i < states; i++) {
        const tenant = await createTenant(db);
        await createPendingAuthorization(db, vault, { businessId: tenant.businessId, userId: tenant.userId, tokenId: tenant.tokenId, environment: 'sandbox', returnTo: '/', scopes: ['business:read'], now: Date.now() });
      }
    }
    const kids = async (table: 'ramp_connections' | 'oauth_states') => (await db.kysely.selectFrom(table).select('data_key_kid').execute()).map((r) => r.data_key_kid).sort();

    it('counts rows per key and table', async () => {
      await seed(KA, 3, 2);
      expect(await keyUsage(db)).toEqual({ a: { ramp_connections: 3, oauth_states: 2 } });
    });

    it('the startup check passes with the right ring and names missing and wrong kids together, sorted', async () => {
      await assertKeyRingReadsStoredRows(db, vaultOf(KA));
      await seed(KC, 1, 0);
      const wrongA = `a:${Buffer.alloc(32, 9).toString('base64')}`;
      await expect(assertKeyRingReadsStoredRows(db, vaultOf(`${KB},${wrongA}`))).rejects.toThrow(
        'Encryption keys: stored rows use key id(s) c, which the key ring does not have (add them back, then run keys rotate); key id(s) a do not decrypt the rows stored under them (wrong key material for that id?). Not starting: serving would mark those connections needs_reauth.',
      );
      await expect(assertKeyRingReadsStoredRows(db, vaultOf(KB))).rejects.toThrow(/^Encryption keys: stored rows use key id\(s\) a, c, which the key ring does not have \(add them back, then run keys rotate\)\. Not/);
      await expect(assertKeyRingReadsStoredRows(db, vaultOf(`${KB},${wrongA},c:${Buffer.alloc(32, 8).toString('base64')}`))).rejects.toThrow(
        /^Encryption keys: key id\(s\) a, c do not decrypt the rows stored under them \(wrong key material for that id\?\)\. Not/,
      );
      await assertKeyRingReadsStoredRows(db, vaultOf(`${KB},${KA},${KC}`));
    });

    it('the startup check finds a key readable in a later table, and rethrows what is not a decryption failure', async () => {
      // Every ramp_connections row under "a" unreadable (data keys swapped between rows), oauth_states still fine.
      const rows = await db.kysely.selectFrom('ramp_connections').select(['id', 'data_key']).where('data_key_kid', '=', 'a').orderBy('id').execute();
      const swap = async (from: typeof rows) => {
        for (const [i, row] of from.entries()) await db.kysely.updateTable('ramp_connections').set({ data_key: from[(i + 1) % from.length]!.data_key }).where('id', '=', row.id).execute();
      };
      await swap(rows);
      await assertKeyRingReadsStoredRows(db, vaultOf(`${KA},${KC}`));
      class Broken extends Vault {
        override unwrap(): DataKey {
          throw new TypeError('bug');
        }
      }
      await expect(assertKeyRingReadsStoredRows(db, new Broken(staticKeyRing(parseKeyRing(KA))))).rejects.toThrow(TypeError);
      for (const row of rows) await db.kysely.updateTable('ramp_connections').set({ data_key: row.data_key }).where('id', '=', row.id).execute();
    });

    it('moves every row of every table to the active key in small batches, skipping and counting unreadable rows', async () => {
      // One "a" connection made unreadable: its data key is another row's.
      const [x, y] = await db.kysely.selectFrom('ramp_connections').select(['id', 'data_key']).where('data_key_kid', '=', 'a').orderBy('id').limit(2).execute();
      await db.kysely.updateTable('ramp_connections').set({ data_key: y!.data_key }).where('id', '=', x!.id).execute();
      const vault = vaultOf(`${KB},${KA}`); // "c" unknown: its row is unreadable too
      expect(await rewrapAll(db, vault, { batchSize: 1 })).toEqual({ rewrapped: 4, corrupt: 2 });
      expect(await kids('ramp_connections')).toEqual(['a', 'b', 'b', 'c']);
      expect(await kids('oauth_states')).toEqual(['b', 'b']);
      expect(await keyUsage(db)).toEqual({ a: { ramp_connections: 1 }, b: { ramp_connections: 2, oauth_states: 2 }, c: { ramp_connections: 1 } });
      // Rows rewrapped open under the new ring alone.
      const store = new ConnectionStore(db, vaultOf(KB), () => Date.now());
      const moved = await db.kysely.selectFrom('ramp_connections').selectAll().where('data_key_kid', '=', 'b').execute();
      for (const row of moved) expect(store.vault.unwrap({ environment: row.environment, businessId: row.business_id, rowId: row.id }, row.data_key).kid).toBe('b');
      // Idempotent; with the missing key back, the "c" row moves too (default batch size).
      expect(await rewrapAll(db, vault)).toEqual({ rewrapped: 0, corrupt: 2 });
      expect(await rewrapAll(db, vaultOf(`${KB},${KA},${KC}`))).toEqual({ rewrapped: 1, corrupt: 1 });
      await db.kysely.updateTable('ramp_connections').set({ data_key: x!.data_key }).where('id', '=', x!.id).execute();
    });

    // SQLite only: its single connection runs queued statements in order, so the racing write lands
    // between our read and our write every time; a PostgreSQL pool would make the interleaving random.
    it.runIf(dialect === 'sqlite')('never clobbers a row rewritten meanwhile (compare-and-set on the old bytes)', async () => {
      await seed(KA, 2, 0);
      const theirs = new Map<string, Uint8Array>();
      // Another process replaces the row's data key (as a reconnect would) between our read and our write.
      class Raced extends Vault {
        override rewrap(scope: RowScope, wrapped: Uint8Array): DataKey | undefined {
          const next = super.rewrap(scope, wrapped);
          if (theirs.size === 0) {
            const fresh = this.newDataKey(scope);
            theirs.set(scope.rowId, fresh.wrapped);
            void db.kysely.updateTable('ramp_connections').set({ data_key: fresh.wrapped, data_key_kid: fresh.kid }).where('id', '=', scope.rowId).execute();
          }
          return next;
        }
      }
      expect((await keyUsage(db)).a).toEqual({ ramp_connections: 3 });
      expect(await rewrapAll(db, new Raced(staticKeyRing(parseKeyRing(`${KB},${KA}`))), { batchSize: 10 })).toEqual({ rewrapped: 2, corrupt: 0 });
      const [rowId, wrapped] = [...theirs][0]!;
      const row = await db.kysely.selectFrom('ramp_connections').selectAll().where('id', '=', rowId).executeTakeFirstOrThrow();
      expect(Buffer.from(row.data_key)).toEqual(Buffer.from(wrapped));
      expect((await keyUsage(db)).a).toBeUndefined();
    });

    it('rethrows what is not a decryption failure', async () => {
      await seed(KA, 1, 0);
      class Broken extends Vault {
        override rewrap(): DataKey | undefined {
          throw new TypeError('bug');
        }
      }
      await expect(rewrapAll(db, new Broken(staticKeyRing(parseKeyRing(`${KB},${KA}`))))).rejects.toThrow(TypeError);
    });
  });
}
