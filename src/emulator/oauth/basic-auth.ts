/**
 * @module HTTP Basic client credentials as OAuth 2.0 defines them.
 *
 * RFC 6749 §2.3.1: "The client identifier is encoded using the application/x-www-form-urlencoded
 * encoding algorithm …, and the encoded value is used as the username; the client password is
 * encoded using the same algorithm and used as the password." So the server base64-decodes, splits
 * on the FIRST colon (an encoded id cannot contain one), then form-decodes each half: `+` → space,
 * then percent-escapes (as UTF-8). A client that skips the encoding breaks on secrets containing
 * `%`, `+` or `:` — exactly what this decoder is meant to catch.
 */

export interface BasicCredentials {
  clientId: string;
  clientSecret: string;
}

export type BasicDecoding = 'form_urlencoded' | 'raw';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes one application/x-www-form-urlencoded value; `null` when a percent-escape is malformed. */
export function formUrlDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * Parses an `Authorization` header value. Returns `null` when the header is not Basic at all and
 * `'malformed'` when it is Basic but cannot be decoded.
 */
export function parseBasicAuthorization(header: string | undefined, decoding: BasicDecoding = 'form_urlencoded'): BasicCredentials | 'malformed' | null {
  if (header === undefined) return null;
  const match = /^Basic[ ]+(\S*)\s*$/i.exec(header);
  if (!match) return null;
  const encoded = match[1]!;
  if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) return 'malformed';
  const decodedBytes = Buffer.from(encoded, 'base64');
  const decoded = new TextDecoder('utf-8', { fatal: false }).decode(decodedBytes);
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  const rawId = decoded.slice(0, colon);
  const rawSecret = decoded.slice(colon + 1);
  if (decoding === 'raw') return { clientId: rawId, clientSecret: rawSecret };
  const clientId = formUrlDecode(rawId);
  const clientSecret = formUrlDecode(rawSecret);
  if (clientId === null || clientSecret === null) return 'malformed';
  return { clientId, clientSecret };
}

/** The encoder a correct client uses (oauth4webapi's `formUrlEncode`); tests use it as an oracle. */
export function formUrlEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
