/**
 * @module The key ring: key-encryption keys (KEKs) by key id. `ENCRYPTION_KEYS=kid:base64,…` (first is
 * active), or, in emulator mode only, a dev key file `<DATA_DIR>/keys.json` created on first start.
 * There is no plaintext mode: without a key the process does not start.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/config.ts';
import { ConfigError } from '../config/config.ts';

export interface KeyRing {
  readonly activeKid: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

const KID = /^[A-Za-z0-9_-]{1,32}$/;

/** Parses `kid:base64key,…`. Errors name the entry, never the key material. */
export function parseKeyRing(spec: string, source = 'ENCRYPTION_KEYS'): KeyRing {
  const keys = new Map<string, Buffer>();
  let activeKid: string | undefined;
  for (const [index, entry] of spec.split(',').map((s) => s.trim()).filter(Boolean).entries()) {
    const colon = entry.indexOf(':');
    const kid = colon === -1 ? '' : entry.slice(0, colon);
    if (!KID.test(kid)) throw new ConfigError(`${source} entry ${index + 1}: expected kid:base64key with kid of [A-Za-z0-9_-]{1,32}`);
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== 32) throw new ConfigError(`${source} key "${kid}" must be 32 bytes (base64 of 32 random bytes)`);
    if (keys.has(kid)) throw new ConfigError(`${source} lists key "${kid}" twice`);
    keys.set(kid, key);
    activeKid ??= kid;
  }
  if (!activeKid) throw new ConfigError(`${source} is empty`);
  return { activeKid, keys };
}

export function formatKeyRing(ring: KeyRing): string {
  const ordered = [ring.activeKid, ...[...ring.keys.keys()].filter((k) => k !== ring.activeKid)];
  return ordered.map((kid) => `${kid}:${ring.keys.get(kid)!.toString('base64')}`).join(',');
}

export function newKid(now = new Date()): string {
  return `k${now.toISOString().slice(0, 19).replace(/[-:T]/g, '')}${randomBytes(2).toString('hex')}`;
}

/**
 * Where the ring comes from. A file source is re-read when it changes, so `ramp-connect keys rotate`
 * can add a key while servers keep serving; an env source is fixed for the process lifetime.
 */
export interface KeyRingSource {
  current(): KeyRing;
  /** Re-reads the source if it can change; returns true when the ring changed. */
  refresh(): boolean;
  readonly description: string;
  readonly file: string | undefined;
}

export function staticKeyRing(ring: KeyRing, description = 'ENCRYPTION_KEYS'): KeyRingSource {
  return { current: () => ring, refresh: () => false, description, file: undefined };
}

export function keyFilePath(config: Config): string {
  return join(config.dataDir, 'keys.json');
}

export function fileKeyRing(file: string): KeyRingSource {
  let mtime = 0;
  let ring: KeyRing | undefined;
  const load = (): boolean => {
    const stat = statSync(file);
    if (ring && stat.mtimeMs === mtime) return false;
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { keys?: unknown };
    if (typeof parsed.keys !== 'string') throw new ConfigError(`${file} must contain {"keys": "kid:base64,…"}`);
    const next = parseKeyRing(parsed.keys, file);
    const changed = !ring || formatKeyRing(next) !== formatKeyRing(ring);
    ring = next;
    mtime = stat.mtimeMs;
    return changed;
  };
  load();
  return { current: () => ring!, refresh: load, description: file, file };
}

/** Writes the key file atomically (write + rename) with owner-only permissions. */
export function writeKeyFile(file: string, ring: KeyRing): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ keys: formatKeyRing(ring) }, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * The ring for this process: ENCRYPTION_KEYS if set; else, in emulator mode only, the dev key file
 * (created with a warning on first start); else a startup error (fail closed).
 */
export function loadKeyRing(config: Config, warn: (message: string) => void): KeyRingSource {
  if (config.encryptionKeys) return staticKeyRing(parseKeyRing(config.encryptionKeys));
  if (config.rampEnv !== 'emulator') {
    throw new ConfigError('ENCRYPTION_KEYS is required when RAMP_ENV is sandbox or production (kid:base64 of 32 random bytes)');
  }
  const file = keyFilePath(config);
  if (!existsSync(file)) {
    const kid = newKid();
    writeKeyFile(file, { activeKid: kid, keys: new Map([[kid, randomBytes(32)]]) });
    warn(`created a development encryption key in ${file}; set ENCRYPTION_KEYS for anything but local development`);
  }
  return fileKeyRing(file);
}
