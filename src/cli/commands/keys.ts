/**
 * @module `keys rotate` and `keys status`.
 * rotate: with the dev key file (emulator mode), adds a new key and makes it active (servers re-read
 * the file within seconds); with ENCRYPTION_KEYS, the operator adds the new key first in the variable
 * on every replica. Either way it then rewraps every row's data key under the active key, in batches,
 * while servers keep serving, and repeats until no row uses another key. Safe to kill and re-run.
 */
import { randomBytes } from 'node:crypto';
import { audit } from '../../audit/audit-log.ts';
import { openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { keyUsage, rewrapAll } from '../../vault/rewrap.ts';
import { loadKeyRing, newKid, writeKeyFile } from '../../vault/keyring.ts';
import { Vault } from '../../vault/vault.ts';
import { CliError, printResult } from '../output.ts';
import type { CommandInput } from './command.ts';

// Servers re-read the key file every 2 s; rows they write in the meantime still use the old key.
const SETTLE_MS = 2_500;
const MAX_PASSES = 10;

export async function keysRotate({ flags, config }: CommandInput): Promise<void> {
  const source = loadKeyRing(config, (message) => process.stderr.write(`${message}\n`));
  let added: string | undefined;
  if (source.file) {
    const ring = source.current();
    added = newKid();
    const keys = new Map(ring.keys);
    keys.set(added, randomBytes(32));
    writeKeyFile(source.file, { activeKid: added, keys });
    source.refresh();
  }
  const vault = new Vault(source);
  const db = openDatabase(config.databaseUrl, { poolSize: 2 });
  try {
    await migrateToLatest(db);
    let rewrapped = 0;
    let corrupt = 0;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const result = await rewrapAll(db, vault);
      rewrapped += result.rewrapped;
      corrupt = result.corrupt;
      const usage = await keyUsage(db);
      const stale = Object.keys(usage).filter((kid) => kid !== vault.activeKid);
      if (stale.length === 0 || (pass > 0 && result.rewrapped === 0 && corrupt > 0)) break;
      await new Promise((r) => setTimeout(r, SETTLE_MS));
    }
    const usage = await keyUsage(db);
    await audit(db.kysely, {
      businessId: null,
      actorTokenId: null,
      action: 'keys.rotate',
      outcome: corrupt > 0 ? 'partial' : 'success',
      detail: `active ${vault.activeKid}; rewrapped ${rewrapped}; corrupt ${corrupt}`,
    });
    let removed: string[] = [];
    if (source.file && flags['remove-old'] === true) {
      const ring = source.current();
      removed = [...ring.keys.keys()].filter((kid) => kid !== ring.activeKid && !usage[kid]);
      const keys = new Map([...ring.keys].filter(([kid]) => !removed.includes(kid)));
      writeKeyFile(source.file, { activeKid: ring.activeKid, keys });
    }
    printResult({ active_kid: vault.activeKid, added_kid: added ?? null, rewrapped, corrupt_rows: corrupt, removed_kids: removed, usage }, flags);
    if (corrupt > 0) throw new CliError(`${corrupt} row(s) could not be decrypted with any configured key; see keys status`);
  } finally {
    await db.close();
  }
}

export async function keysStatus({ flags, config }: CommandInput): Promise<void> {
  const source = loadKeyRing(config, (message) => process.stderr.write(`${message}\n`));
  const ring = source.current();
  const db = openDatabase(config.databaseUrl, { poolSize: 2 });
  try {
    await migrateToLatest(db);
    const usage = await keyUsage(db);
    const kids = new Set([...ring.keys.keys(), ...Object.keys(usage)]);
    printResult(
      {
        source: source.description,
        active_kid: ring.activeKid,
        keys: [...kids].map((kid) => {
          const rows = Object.values(usage[kid] ?? {}).reduce((a, b) => a + b, 0);
          return { kid, active: kid === ring.activeKid, configured: ring.keys.has(kid), rows, by_table: usage[kid] ?? {}, removable: kid !== ring.activeKid && rows === 0 };
        }),
      },
      flags,
    );
  } finally {
    await db.close();
  }
}
