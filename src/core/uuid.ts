/** @module UUID checks shared by the validator, the auth hook and the CLI. */

/** The hyphenated form `crypto.randomUUID` writes (any case). */
export const CANONICAL_UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The `uuid` crate's parse errors, as pydantic-core reports them. */
export function uuidError(s: string): string | undefined {
  if (CANONICAL_UUID.test(s)) return undefined; // the common case, without the per-character walk
  const body = s.startsWith('urn:uuid:') ? s.slice(9) : s;
  const offset = s.length - body.length;
  for (let i = 0; i < body.length; i++) {
    if (!/[0-9a-fA-F-]/.test(body[i]!)) return `invalid character: found \`${body[i]}\` at ${i + offset + 1}`;
  }
  if (!body.includes('-')) {
    return body.length === 32 ? undefined : `invalid length: expected length 32 for simple format, found ${body.length}`;
  }
  const groups = body.split('-');
  if (groups.length !== 5) return `invalid group count: expected 5, found ${groups.length}`;
  const expected = [8, 4, 4, 4, 12];
  for (let g = 0; g < 5; g++) {
    if (groups[g]!.length !== expected[g]) return `invalid group length in group ${g}: expected ${expected[g]}, found ${groups[g]!.length}`;
  }
  return undefined;
}

/**
 * The hyphenated lower-case form of a UUID `uuidError` accepts (simple 32-digit and `urn:uuid:` forms
 * included), as pydantic's `UUID` prints it: one object, one spelling, so ids compare and match stored rows.
 */
export function canonicalUuid(s: string): string {
  const hex = (s.startsWith('urn:uuid:') ? s.slice(9) : s).replaceAll('-', '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
