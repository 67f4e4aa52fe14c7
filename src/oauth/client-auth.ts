/**
 * @module HTTP Basic client authentication for Ramp's token endpoints. RFC 6749 §2.3.1: the client id and
 * secret are each encoded with application/x-www-form-urlencoded *before* being joined with ":" and
 * base64-encoded, so ids and secrets containing ":", "+", "%" or spaces survive the round trip.
 */

/** application/x-www-form-urlencoded encoding of one value (space → "+"). */
export function formUrlEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`, 'utf8').toString('base64')}`;
}
