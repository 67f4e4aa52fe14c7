/** @module Headers every request to Ramp carries. The bearer token is added here and nowhere else. */
import type { RampAccess } from '../../tokens/access-token-provider.ts';

export const USER_AGENT = 'ramp-connect/0.1 (+https://ondayzero.com)';

export function rampHeaders(access: RampAccess, extra: Record<string, string> = {}): Headers {
  const headers = new Headers(extra);
  headers.set('authorization', `Bearer ${access.accessToken}`);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  headers.set('user-agent', USER_AGENT);
  return headers;
}
