/** @module Headers every request to Ramp carries. The bearer token is added here and nowhere else. */
import type { RampAccess } from '../access-token-provider.ts';

export const USER_AGENT = 'ramp-connect/0.1 (+https://ondayzero.com)';

/** `extra` names must be lower-case; ours win over any of the same name. */
export function rampHeaders(access: RampAccess, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { accept: 'application/json', ...extra, authorization: `Bearer ${access.accessToken}`, 'user-agent': USER_AGENT };
}
