/**
 * @module Outbound webhooks never reach our own network (SSRF): a business admin chooses the URL, and
 * a delivery to 127.0.0.1:5432 or 169.254.169.254 would read, or at least probe through the delivery
 * log's status and error class, what only we should reach (OWASP API7:2023, SSRF). The ranges are
 * Nango's egress block list (127/8, 10/8, 172.16/12, 192.168/16, 169.254/16, 100.64/10, 0/8,
 * IPv4-mapped IPv6) plus IPv6 loopback, unique-local, link-local and the unspecified address.
 *
 * Checked twice, unless `WEBHOOK_ALLOW_PRIVATE_URLS` (development, tests) turns both off:
 * - at registration, a literal private IP or `localhost` is refused (`isPrivateHostname`), so the mistake
 *   is seen at once;
 * - at connection time, on the addresses the hostname resolves to then (`webhookConnector`): the DNS
 *   lookup the socket connects with is this one, so a name that resolved to a public address at
 *   registration and to 127.0.0.1 now (DNS rebinding) is refused before any packet is sent to it.
 */
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { buildConnector } from 'undici';

const PRIVATE = new BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8], // "this network", 0.0.0.0 included
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local: cloud metadata at 169.254.169.254
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  PRIVATE.addSubnet(prefix, bits, 'ipv4');
}
// IPv4-mapped IPv6 (::ffff:127.0.0.1) needs no rule of its own: BlockList matches it against the IPv4 ones.
PRIVATE.addAddress('::', 'ipv6'); // unspecified
PRIVATE.addAddress('::1', 'ipv6'); // loopback
PRIVATE.addSubnet('fc00::', 7, 'ipv6'); // unique local
PRIVATE.addSubnet('fe80::', 10, 'ipv6'); // link-local

/** True for an IP address (v4 or v6, without brackets) in one of the ranges above; false for anything else. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * A URL's hostname (as `new URL` gives it: IPv4 canonical, IPv6 in brackets) that is a private IP
 * literal or names the local host (`localhost`, `*.localhost`, RFC 6761). A name resolving to a private
 * address is not seen here; the connection-time check refuses it.
 */
export function isPrivateHostname(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || isPrivateAddress(host);
}

/** The delivery log's error class for a refused destination: fixed, never the address or the name. */
export const PRIVATE_ADDRESS_REFUSED = 'refused: private or reserved address';

export class PrivateAddressError extends Error {
  readonly code = 'ERR_PRIVATE_ADDRESS';
  constructor() {
    super(PRIVATE_ADDRESS_REFUSED);
    this.name = 'PrivateAddressError';
  }
}

/** A DNS lookup for `net.connect` that fails when any address the name resolves to is private. */
export function refusingPrivateAddresses(lookup: LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, result, family) => {
      if (error) return callback(error, '', 0);
      const addresses: LookupAddress[] = typeof result === 'string' ? [{ address: result, family: family ?? isIP(result) }] : result;
      if (addresses.some((a) => isPrivateAddress(a.address))) return callback(new PrivateAddressError(), '', 0);
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      return first ? callback(null, first.address, first.family) : callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
    });
  };
}

export interface EgressOptions {
  /** `WEBHOOK_ALLOW_PRIVATE_URLS`: deliver to private addresses too (development, tests). */
  readonly allowPrivateAddresses: boolean;
  /** The resolver the socket connects with; default `dns.lookup`. Tests give one that answers a private address. */
  readonly lookup?: LookupFunction;
}

/**
 * undici's connector with the check: an IP-literal host is checked as is (Node does not look it up),
 * any other goes through `refusingPrivateAddresses`. Either refusal happens before a socket exists.
 */
export function webhookConnector(options: EgressOptions): buildConnector.connector {
  const lookup = options.lookup ?? (dnsLookup as LookupFunction);
  if (options.allowPrivateAddresses) return buildConnector({ lookup });
  const connect = buildConnector({ lookup: refusingPrivateAddresses(lookup) });
  return (connectOptions, callback) => {
    if (isPrivateAddress(connectOptions.hostname.replace(/^\[(.*)\]$/, '$1'))) {
      callback(new PrivateAddressError(), null);
      return;
    }
    connect(connectOptions, callback);
  };
}
