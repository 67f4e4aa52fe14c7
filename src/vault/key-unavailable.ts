/**
 * @module A row sealed under a key id this replica lacks. During a rolling key change another replica
 * may already seal new rows with a key this one has not loaded yet: that is a rotation in progress, not
 * corruption. Callers answer a retryable 503 and leave the row alone (never `needs_reauth`, which would
 * make a customer reconnect over an operator's rollout).
 */
import { ApiError } from '../core/errors.ts';
import { CredentialsCorruptError } from './vault.ts';

/** Long enough for a rolling restart to move on; short enough that a caller's retry soon succeeds. */
export const KEY_UNAVAILABLE_RETRY_AFTER_S = 5;

export function isKeyUnavailable(error: unknown): error is CredentialsCorruptError {
  return error instanceof CredentialsCorruptError && error.reason === 'unknown_key';
}

export function keyUnavailableError(): ApiError {
  return new ApiError('encryption_key_unavailable', undefined, { headers: { 'retry-after': String(KEY_UNAVAILABLE_RETRY_AFTER_S) } });
}
