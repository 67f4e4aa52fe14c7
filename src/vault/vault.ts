/**
 * @module Envelope encryption of secrets at rest (docs/guarantees.md#secrets-at-rest).
 *
 * Each row has its own random 256-bit data key (DEK). The DEK is wrapped with the active key-encryption
 * key (KEK) and stored with the KEK's id; each secret field is sealed with the DEK. Both layers are
 * AES-256-GCM with a fresh random 96-bit nonce per encryption (never derived, never reused; SP 800-38D §8.2.2)
 * and a 128-bit tag. Additional authenticated data binds every ciphertext to its place:
 *   wrapped DEK:  `v1|dek|<environment>|<business_id>|<row_id>`
 *   field:        `v1|<environment>|<business_id>|<row_id>|<field>`
 * so a ciphertext copied to another row, tenant, environment or field fails to authenticate.
 * Rotating a KEK only rewraps DEKs (32 bytes per row); field ciphertexts never change.
 *
 * Formats: wrapped DEK = 0x01 | kidLen | kid | iv(12) | tag(16) | ct(32); field = 0x01 | iv(12) | tag(16) | ct.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyRingSource } from './keyring.ts';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Where a row's secrets belong: part of every AAD. */
export interface RowScope {
  readonly environment: string;
  readonly businessId: string;
  readonly rowId: string;
}

/** Decryption failed: wrong place, tampered bytes or unknown key. Never carries key or plaintext. */
export class CredentialsCorruptError extends Error {
  constructor(readonly reason: 'unknown_key' | 'authentication_failed' | 'malformed') {
    super(`stored credentials could not be decrypted (${reason})`);
    this.name = 'CredentialsCorruptError';
  }
}

export interface DataKey {
  /** The unwrapped key: keep in memory only as long as needed. */
  readonly key: Buffer;
  /** The stored form. */
  readonly wrapped: Uint8Array;
  readonly kid: string;
}

function aad(parts: readonly string[]): Buffer {
  return Buffer.from(parts.join('|'), 'utf8');
}

function seal(key: Buffer, plaintext: Buffer, additional: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(additional);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]);
}

function open(key: Buffer, sealed: Buffer, additional: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new CredentialsCorruptError('malformed');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(additional);
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new CredentialsCorruptError('authentication_failed');
  }
}

export class Vault {
  readonly #keys: KeyRingSource;

  constructor(keys: KeyRingSource) {
    this.#keys = keys;
  }

  get activeKid(): string {
    return this.#keys.current().activeKid;
  }

  /** A fresh data key for a new row, wrapped under the active KEK. */
  newDataKey(scope: RowScope): DataKey {
    const key = randomBytes(32);
    return { key, ...this.#wrap(scope, key) };
  }

  /** Unwraps a row's data key (re-reading a file key ring once if the kid is new to this process). */
  unwrap(scope: RowScope, wrapped: Uint8Array): DataKey {
    const bytes = Buffer.from(wrapped);
    if (bytes.length < 2 || bytes[0] !== VERSION) throw new CredentialsCorruptError('malformed');
    const kidLength = bytes[1]!;
    const kid = bytes.subarray(2, 2 + kidLength).toString('utf8');
    let kek = this.#keys.current().keys.get(kid);
    if (!kek && this.#keys.refresh()) kek = this.#keys.current().keys.get(kid);
    if (!kek) throw new CredentialsCorruptError('unknown_key');
    const key = open(kek, bytes.subarray(2 + kidLength), aad(['v1', 'dek', scope.environment, scope.businessId, scope.rowId]));
    return { key, wrapped, kid };
  }

  /** The same data key wrapped under the active KEK, or undefined when it already is. */
  rewrap(scope: RowScope, wrapped: Uint8Array): DataKey | undefined {
    const current = this.unwrap(scope, wrapped);
    if (current.kid === this.activeKid) return undefined;
    return { key: current.key, ...this.#wrap(scope, current.key) };
  }

  sealField(scope: RowScope, dataKey: DataKey, field: string, plaintext: string): Uint8Array {
    const sealed = seal(dataKey.key, Buffer.from(plaintext, 'utf8'), aad(['v1', scope.environment, scope.businessId, scope.rowId, field]));
    return Buffer.concat([Buffer.from([VERSION]), sealed]);
  }

  openField(scope: RowScope, dataKey: DataKey, field: string, ciphertext: Uint8Array): string {
    const bytes = Buffer.from(ciphertext);
    if (bytes.length < 1 || bytes[0] !== VERSION) throw new CredentialsCorruptError('malformed');
    return open(dataKey.key, bytes.subarray(1), aad(['v1', scope.environment, scope.businessId, scope.rowId, field])).toString('utf8');
  }

  /** Re-reads a file-backed key ring (servers call this periodically so `keys rotate` takes effect). */
  refreshKeys(): boolean {
    return this.#keys.refresh();
  }

  #wrap(scope: RowScope, key: Buffer): { wrapped: Uint8Array; kid: string } {
    const ring = this.#keys.current();
    const kek = ring.keys.get(ring.activeKid)!;
    const kid = Buffer.from(ring.activeKid, 'utf8');
    const sealed = seal(kek, key, aad(['v1', 'dek', scope.environment, scope.businessId, scope.rowId]));
    return { wrapped: Buffer.concat([Buffer.from([VERSION, kid.length]), kid, sealed]), kid: ring.activeKid };
  }
}
