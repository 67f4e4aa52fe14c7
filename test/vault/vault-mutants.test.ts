/**
 * The vault and key ring pinned down byte by byte and message by message: the key-ring grammar
 * (kid alphabet and length, 32-byte keys, first is active, blanks skipped), the file key ring's reload
 * rules, the dev key file (owner-only, atomic), where each configuration gets its ring, and the sealed
 * formats' version/length checks. Written to kill the mutants `npm run mutate -- vault` left alive.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type Config } from '../../src/config/config.ts';
import { fileKeyRing, formatKeyRing, keyFilePath, loadKeyRing, newKid, parseKeyRing, staticKeyRing, writeKeyFile, type KeyRing } from '../../src/vault/keyring.ts';
import { CredentialsCorruptError, Vault } from '../../src/vault/vault.ts';

const K1 = Buffer.alloc(32, 1).toString('base64');
const K2 = Buffer.alloc(32, 2).toString('base64');
const SCOPE = { environment: 'sandbox', businessId: 'b1', rowId: 'r1' };
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'rc-vault-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const configError = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('parseKeyRing', () => {
  it('reads kid:base64 entries in order, the first active, skipping blanks and spaces', () => {
    const ring = parseKeyRing(` a:${K1} , ,b_-9:${K2},`);
    expect(ring.activeKid).toBe('a');
    expect([...ring.keys.keys()]).toEqual(['a', 'b_-9']);
    expect(ring.keys.get('a')).toEqual(Buffer.alloc(32, 1));
    expect(ring.keys.get('b_-9')).toEqual(Buffer.alloc(32, 2));
  });

  it('kid: 1 to 32 of [A-Za-z0-9_-], the whole of it; errors name the entry number and the source', () => {
    expect(parseKeyRing(`${'k'.repeat(32)}:${K1}`).activeKid).toBe('k'.repeat(32));
    expect(parseKeyRing(`Z:${K1}`).activeKid).toBe('Z');
    const grammar = 'entry 2: expected kid:base64key with kid of [A-Za-z0-9_-]{1,32}';
    for (const bad of [`${'k'.repeat(33)}:${K1}`, `:${K1}`, `k.1:${K1}`, `.k1:${K1}`, `k1.:${K1}`, K1]) {
      expect(configError(() => parseKeyRing(`ok:${K2},${bad}`)), bad).toBe(`ENCRYPTION_KEYS ${grammar}`);
    }
    expect(configError(() => parseKeyRing(`k.1:${K1}`, 'file.json'))).toBe('file.json entry 1: expected kid:base64key with kid of [A-Za-z0-9_-]{1,32}');
  });

  it('keys are exactly 32 bytes; a kid listed twice and an empty ring are refused', () => {
    expect(configError(() => parseKeyRing(`k1:${Buffer.alloc(31).toString('base64')}`))).toBe('ENCRYPTION_KEYS key "k1" must be 32 bytes (base64 of 32 random bytes)');
    expect(configError(() => parseKeyRing(`k1:${Buffer.alloc(33).toString('base64')}`))).toContain('must be 32 bytes');
    expect(configError(() => parseKeyRing(`k1:${K1},k1:${K2}`))).toBe('ENCRYPTION_KEYS lists key "k1" twice');
    expect(configError(() => parseKeyRing(' , '))).toBe('ENCRYPTION_KEYS is empty');
    expect(configError(() => parseKeyRing('', 'x.json'))).toBe('x.json is empty');
  });

  it('formatKeyRing puts the active key first and round-trips', () => {
    const ring: KeyRing = { activeKid: 'b', keys: new Map([['a', Buffer.alloc(32, 1)], ['b', Buffer.alloc(32, 2)]]) };
    expect(formatKeyRing(ring)).toBe(`b:${K2},a:${K1}`);
    expect(formatKeyRing(parseKeyRing(formatKeyRing(ring)))).toBe(`b:${K2},a:${K1}`);
  });

  it('newKid is k + UTC timestamp to the second + 4 hex digits, and a valid kid', () => {
    const kid = newKid(new Date('2026-03-04T05:06:07.890Z'));
    expect(kid).toMatch(/^k20260304050607[0-9a-f]{4}$/);
    expect(newKid()).toMatch(/^k\d{14}[0-9a-f]{4}$/);
    expect(parseKeyRing(`${kid}:${K1}`).activeKid).toBe(kid);
  });
});

describe('key ring sources', () => {
  it('a static ring never changes', () => {
    const ring = parseKeyRing(`a:${K1}`);
    const source = staticKeyRing(ring);
    expect(source.current()).toBe(ring);
    expect(source.refresh()).toBe(false);
    expect(source.description).toBe('ENCRYPTION_KEYS');
    expect(source.file).toBeUndefined();
    expect(staticKeyRing(ring, 'other').description).toBe('other');
  });

  it('a file ring reloads when the file changes, and says whether the ring changed', () => {
    const file = join(tempDir(), 'keys.json');
    writeFileSync(file, JSON.stringify({ keys: `a:${K1}` }));
    const source = fileKeyRing(file);
    expect(source.file).toBe(file);
    expect(source.description).toBe(file);
    expect(source.current().activeKid).toBe('a');
    expect(source.refresh()).toBe(false);

    writeFileSync(file, JSON.stringify({ keys: `b:${K2},a:${K1}` }));
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect(source.refresh()).toBe(true);
    expect(source.current().activeKid).toBe('b');

    // Rewritten with the same ring (new mtime): reloaded, but nothing changed.
    writeFileSync(file, JSON.stringify({ keys: ` b:${K2} , a:${K1}` }));
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    expect(source.refresh()).toBe(false);

    // Same mtime: not even read (a broken file would otherwise throw).
    const mtime = statSync(file).mtime;
    writeFileSync(file, 'not json');
    utimesSync(file, mtime, mtime);
    expect(source.refresh()).toBe(false);
  });

  it('a key file without a keys string is a ConfigError naming the file', () => {
    const file = join(tempDir(), 'keys.json');
    for (const content of ['{}', '{"keys": 5}']) {
      writeFileSync(file, content);
      expect(configError(() => fileKeyRing(file))).toBe(`${file} must contain {"keys": "kid:base64,…"}`);
    }
    writeFileSync(file, JSON.stringify({ keys: 'bad' }));
    expect(configError(() => fileKeyRing(file))).toContain(`${file} entry 1`);
  });

  it('writeKeyFile creates the folder and writes owner-only JSON atomically', () => {
    const dir = join(tempDir(), 'nested', 'deeper');
    const file = join(dir, 'keys.json');
    writeKeyFile(file, parseKeyRing(`a:${K1}`));
    expect(readFileSync(file, 'utf8')).toBe(`{\n  "keys": "a:${K1}"\n}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['keys.json']);
  });

  it('loadKeyRing: ENCRYPTION_KEYS wins; without it only the emulator gets a dev key file, created once with a warning', () => {
    const dataDir = tempDir();
    const config = (extra: Partial<Config>) => ({ encryptionKeys: undefined, rampEnv: 'emulator', dataDir, ...extra }) as Config;
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);

    const fromEnv = loadKeyRing(config({ encryptionKeys: `e:${K1}`, rampEnv: 'production' }), warn);
    expect(fromEnv.file).toBeUndefined();
    expect(fromEnv.current().activeKid).toBe('e');
    for (const rampEnv of ['sandbox', 'production'] as const) {
      expect(configError(() => loadKeyRing(config({ rampEnv }), warn))).toBe('ENCRYPTION_KEYS is required when RAMP_ENV is sandbox or production (kid:base64 of 32 random bytes)');
    }
    expect(existsSync(keyFilePath(config({})))).toBe(false);
    expect(warnings).toEqual([]);

    const first = loadKeyRing(config({}), warn);
    expect(keyFilePath(config({}))).toBe(join(dataDir, 'keys.json'));
    expect(first.file).toBe(join(dataDir, 'keys.json'));
    expect(first.current().keys.get(first.current().activeKid)).toHaveLength(32);
    expect(warnings).toEqual([`created a development encryption key in ${join(dataDir, 'keys.json')}; set ENCRYPTION_KEYS for anything but local development`]);

    const again = loadKeyRing(config({}), warn);
    expect(warnings).toHaveLength(1);
    expect(formatKeyRing(again.current())).toBe(formatKeyRing(first.current()));
  });
});

describe('vault formats', () => {
  const vault = new Vault(staticKeyRing(parseKeyRing(`a:${K1}`)));

  it('a wrapped key is 0x01 | kidLen | kid | iv | tag | ct(32), and says its kid', () => {
    const key = vault.newDataKey(SCOPE);
    const bytes = Buffer.from(key.wrapped);
    expect(key.kid).toBe('a');
    expect(bytes[0]).toBe(1);
    expect(bytes[1]).toBe(1);
    expect(bytes.subarray(2, 3).toString()).toBe('a');
    expect(bytes).toHaveLength(3 + 12 + 16 + 32);
    expect(vault.unwrap(SCOPE, key.wrapped)).toEqual({ key: key.key, wrapped: key.wrapped, kid: 'a' });
  });

  it('malformed wrapped keys and fields are refused as malformed, not as tampering', () => {
    const key = vault.newDataKey(SCOPE);
    const reason = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(CredentialsCorruptError);
        return (error as CredentialsCorruptError).reason;
      }
      return 'no error';
    };
    const wrapped = Buffer.from(key.wrapped);
    expect(reason(() => vault.unwrap(SCOPE, Buffer.from([1])))).toBe('malformed');
    expect(reason(() => vault.unwrap(SCOPE, Buffer.concat([Buffer.from([2]), wrapped.subarray(1)])))).toBe('malformed');
    expect(reason(() => vault.unwrap(SCOPE, Buffer.concat([Buffer.from([0]), wrapped.subarray(1)])))).toBe('malformed');
    // Version and kid fine, but too short to hold an iv and a tag.
    expect(reason(() => vault.unwrap(SCOPE, wrapped.subarray(0, 3 + 27)))).toBe('malformed');
    expect(reason(() => vault.unwrap(SCOPE, wrapped.subarray(0, 3 + 28)))).toBe('authentication_failed');

    const sealed = Buffer.from(vault.sealField(SCOPE, key, 'f', ''));
    expect(sealed).toHaveLength(1 + 12 + 16);
    expect(vault.openField(SCOPE, key, 'f', sealed)).toBe('');
    expect(reason(() => vault.openField(SCOPE, key, 'f', Buffer.alloc(0)))).toBe('malformed');
    expect(reason(() => vault.openField(SCOPE, key, 'f', Buffer.concat([Buffer.from([2]), sealed.subarray(1)])))).toBe('malformed');
    expect(reason(() => vault.openField(SCOPE, key, 'f', sealed.subarray(0, 28)))).toBe('malformed');
    expect(new CredentialsCorruptError('malformed').message).toBe('stored credentials could not be decrypted (malformed)');
    expect(new CredentialsCorruptError('malformed').name).toBe('CredentialsCorruptError');
  });

  it('the AAD parts are separated: shifting characters between business and row id does not open', () => {
    const key = vault.newDataKey({ environment: 'sandbox', businessId: 'ab', rowId: 'c' });
    const shifted = { environment: 'sandbox', businessId: 'a', rowId: 'bc' };
    expect(() => vault.unwrap(shifted, key.wrapped)).toThrow(expect.objectContaining({ reason: 'authentication_failed' }));
    const sealed = vault.sealField({ environment: 'sandbox', businessId: 'ab', rowId: 'c' }, key, 'f', 'secret');
    expect(() => vault.openField(shifted, key, 'f', sealed)).toThrow(expect.objectContaining({ reason: 'authentication_failed' }));
    expect(() => vault.openField({ environment: 'sandbox', businessId: 'ab', rowId: 'cf' }, key, '', sealed)).toThrow(CredentialsCorruptError);
  });

  it('an unknown kid re-reads a file ring once: a key added by `keys rotate` is found without a restart', () => {
    const file = join(tempDir(), 'keys.json');
    writeFileSync(file, JSON.stringify({ keys: `a:${K1}` }));
    const reader = new Vault(fileKeyRing(file));
    const writer = new Vault(staticKeyRing(parseKeyRing(`b:${K2},a:${K1}`)));
    const key = writer.newDataKey(SCOPE);
    expect(() => reader.unwrap(SCOPE, key.wrapped)).toThrow(expect.objectContaining({ reason: 'unknown_key' }));
    writeFileSync(file, JSON.stringify({ keys: `b:${K2},a:${K1}` }));
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect(reader.unwrap(SCOPE, key.wrapped).key).toEqual(key.key);
    expect(reader.activeKid).toBe('b');
    expect(reader.refreshKeys()).toBe(false);
  });

  it('rewrap keeps the data key and moves it under the active kid', () => {
    const old = new Vault(staticKeyRing(parseKeyRing(`a:${K1}`)));
    const key = old.newDataKey(SCOPE);
    const next = new Vault(staticKeyRing(parseKeyRing(`b:${K2},a:${K1}`)));
    const moved = next.rewrap(SCOPE, key.wrapped)!;
    expect(moved.kid).toBe('b');
    expect(moved.key).toEqual(key.key);
    expect(Buffer.from(moved.wrapped).subarray(1, 3)).toEqual(Buffer.from([1, 0x62]));
    expect(next.unwrap(SCOPE, moved.wrapped).key).toEqual(key.key);
    expect(() => old.unwrap(SCOPE, moved.wrapped)).toThrow(expect.objectContaining({ reason: 'unknown_key' }));
  });
});
