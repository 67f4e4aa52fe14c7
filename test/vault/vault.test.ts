/**
 * Vault properties (docs/guarantees.md#g12–#g14): round trip; any flipped byte of a wrapped key
 * or a field ciphertext fails; a ciphertext moved to another row, tenant, environment or field fails;
 * an unknown key id fails; nonces never repeat; key ring errors never print key material.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config.ts';
import { parseKeyRing, staticKeyRing, type KeyRing } from '../../src/vault/keyring.ts';
import { CredentialsCorruptError, Vault, type RowScope } from '../../src/vault/vault.ts';

const ring = (kid = 'k1', key = randomBytes(32)): KeyRing => ({ activeKid: kid, keys: new Map([[kid, key]]) });
const scopeArb = fc.record({ environment: fc.constantFrom('sandbox', 'production'), businessId: fc.uuid(), rowId: fc.uuid() });

describe('vault', () => {
  const vault = new Vault(staticKeyRing(ring()));

  it('round-trips any string', () => {
    fc.assert(
      fc.property(scopeArb, fc.string({ unit: 'grapheme', maxLength: 300 }), fc.constantFrom('access_token', 'refresh_token', 'client_secret'), (scope, text, field) => {
        const key = vault.newDataKey(scope);
        const sealed = vault.sealField(scope, key, field, text);
        const reopened = vault.unwrap(scope, key.wrapped);
        expect(vault.openField(scope, reopened, field, sealed)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('fails on any flipped byte of the wrapped key or the field ciphertext', () => {
    fc.assert(
      fc.property(scopeArb, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (scope, position, mask, inKey) => {
        const key = vault.newDataKey(scope);
        const sealed = Buffer.from(vault.sealField(scope, key, 'access_token', 'ramp_tok_secret'));
        if (inKey) {
          const wrapped = Buffer.from(key.wrapped);
          wrapped[position % wrapped.length]! ^= mask;
          expect(() => vault.unwrap(scope, wrapped)).toThrow(CredentialsCorruptError);
        } else {
          sealed[position % sealed.length]! ^= mask;
          expect(() => vault.openField(scope, key, 'access_token', sealed)).toThrow(CredentialsCorruptError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a ciphertext moved to another row, tenant, environment or field does not decrypt', () => {
    fc.assert(
      fc.property(scopeArb, scopeArb, (a, b) => {
        const keyA = vault.newDataKey(a);
        const sealed = vault.sealField(a, keyA, 'refresh_token', 'rt');
        const moved: RowScope[] = [
          { ...a, rowId: b.rowId },
          { ...a, businessId: b.businessId },
          { ...a, environment: a.environment === 'sandbox' ? 'production' : 'sandbox' },
        ];
        for (const scope of moved) expect(() => vault.unwrap(scope, keyA.wrapped)).toThrow(CredentialsCorruptError);
        // Same data key, other field (an access token swapped with the refresh token).
        expect(() => vault.openField(a, keyA, 'access_token', sealed)).toThrow(CredentialsCorruptError);
        // Another row's data key.
        const keyB = vault.newDataKey(b);
        expect(() => vault.openField(a, keyB, 'refresh_token', sealed)).toThrow(CredentialsCorruptError);
      }),
      { numRuns: 200 },
    );
  });

  it('an unknown key id fails closed; a rewrap moves a data key to the active key', () => {
    const scope = { environment: 'sandbox', businessId: 'b', rowId: 'r' };
    const oldKey = randomBytes(32);
    const before = new Vault(staticKeyRing(ring('old', oldKey)));
    const dataKey = before.newDataKey(scope);
    const sealed = before.sealField(scope, dataKey, 'access_token', 'tok');
    expect(() => vault.unwrap(scope, dataKey.wrapped)).toThrow(expect.objectContaining({ reason: 'unknown_key' }));

    const after = new Vault(staticKeyRing({ activeKid: 'new', keys: new Map([['new', randomBytes(32)], ['old', oldKey]]) }));
    const moved = after.rewrap(scope, dataKey.wrapped)!;
    expect(moved.kid).toBe('new');
    // Field ciphertexts are untouched by a rewrap and still open under the rewrapped key.
    expect(after.openField(scope, after.unwrap(scope, moved.wrapped), 'access_token', sealed)).toBe('tok');
    expect(after.rewrap(scope, moved.wrapped)).toBeUndefined();
  });

  // Under `npm run mutate` this runs once per mutant: 2,000 encryptions catch a derived or fixed nonce just as well.
  const encryptions = process.env.MUTATION_RUN ? 2_000 : 100_000;
  it(`never repeats a nonce in ${encryptions.toLocaleString('en-US')} encryptions under one key`, () => {
    const scope = { environment: 'sandbox', businessId: 'b', rowId: 'r' };
    const key = vault.newDataKey(scope);
    const nonces = new Set<string>();
    for (let i = 0; i < encryptions; i++) nonces.add(Buffer.from(vault.sealField(scope, key, 'f', 'x')).subarray(1, 13).toString('hex'));
    expect(nonces.size).toBe(encryptions);
  });

  it('key ring errors name the entry, never the key', () => {
    const secret = Buffer.alloc(31, 9).toString('base64');
    for (const spec of [`k1:${secret}`, `bad kid:${Buffer.alloc(32).toString('base64')}`, '', `k1:${Buffer.alloc(32).toString('base64')},k1:${Buffer.alloc(32).toString('base64')}`]) {
      try {
        parseKeyRing(spec);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).not.toContain(secret);
      }
    }
  });
});
