/**
 * @module Validation of a webhook URL beyond its length, reported as pydantic's `HttpUrl` would
 * (`url_parsing`, `url_scheme`) plus a `value_error` for credentials: `https://user:pass@host` would put
 * a password into our database in clear and into every delivery's request line; and another for a
 * private IP literal or `localhost` (src/events/private-address.ts) unless `WEBHOOK_ALLOW_PRIVATE_URLS`
 * allows them (local development and tests deliver to 127.0.0.1).
 */
import type { ValidationIssue } from '../../../core/errors.ts';
import { isPrivateHostname } from '../../../events/private-address.ts';

/** The URL's problem, or undefined when it may be registered (stored as `new URL(input).href`). */
export function checkWebhookUrl(input: string, loc: (string | number)[], options: { allowPrivateAddresses: boolean }): ValidationIssue | undefined {
  const fail = (type: string, msg: string, ctx: Record<string, unknown>): ValidationIssue => ({ type, loc, msg, input, ctx });
  let parsed: URL;
  try {
    parsed = new URL(input);
  } catch {
    const error = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(input.trim()) ? (/^[A-Za-z]+:\/\/\/?$/.test(input.trim()) ? 'empty host' : 'invalid domain character') : 'relative URL without a base';
    return fail('url_parsing', `Input should be a valid URL, ${error}`, { error });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return fail('url_scheme', "URL scheme should be 'http' or 'https'", { expected_schemes: "'http' or 'https'" });
  }
  if (parsed.hostname === '') return fail('url_parsing', 'Input should be a valid URL, empty host', { error: 'empty host' });
  if (parsed.username !== '' || parsed.password !== '') {
    // The one place the input is not echoed: it holds a password.
    return { type: 'value_error', loc, msg: 'Value error, URL must not contain credentials', input: '**********', ctx: { error: {} } };
  }
  if (!options.allowPrivateAddresses && isPrivateHostname(parsed.hostname)) {
    return fail('value_error', 'Value error, URL must not point to a private, loopback or link-local address', { error: {} });
  }
  return undefined;
}
