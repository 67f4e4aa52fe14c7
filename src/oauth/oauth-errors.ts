/**
 * @module Classification of a failed token or revocation call. `permanent` failures mean the grant or
 * client is dead (a person must act); everything else is transient and must never change a connection's
 * status (docs/guarantees.md#failure-classes).
 */

export type OAuthFailureCode =
  | 'invalid_grant'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'invalid_scope'
  | 'invalid_request'
  | 'unsupported_grant_type'
  | 'access_denied'
  | 'rate_limited'
  | 'server_error'
  | 'network_error'
  | 'timeout'
  | 'invalid_response';

export interface OAuthFailure {
  readonly code: OAuthFailureCode;
  readonly permanent: boolean;
  /** HTTP status, or 0 when no response arrived. */
  readonly status: number;
  /** Ramp's own error code when present (e.g. DEVELOPER_7002). */
  readonly rampErrorCode?: string;
  /** A short provider message, scrubbed of anything token-shaped; safe to store and log. */
  readonly description: string;
  /** From Retry-After, when the server sent one. */
  readonly retryAfterMs?: number;
}

const PERMANENT: ReadonlySet<OAuthFailureCode> = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_scope', 'access_denied', 'unsupported_grant_type']);

export function isPermanent(code: OAuthFailureCode): boolean {
  return PERMANENT.has(code);
}

/** Removes anything that looks like a credential from provider text before it is stored or logged. */
export function scrub(text: string): string {
  return text
    .replace(/ramp_[a-z_]*tok_[A-Za-z0-9._~+/=-]+/g, '[redacted]')
    .replace(/\b[A-Za-z0-9_-]{32,}\b/g, '[redacted]')
    .slice(0, 300);
}
