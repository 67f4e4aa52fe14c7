/**
 * @module `POST /developer/v1/accounting/syncs` (docs/ramp-behaviour.md#accounting-syncs): tells Ramp which
 * objects were synced to the books. A POST is sent once (RFC 9110 §9.2.2); the deterministic
 * `idempotency_key` makes a caller's own retry safe.
 */
import { ApiError } from '../../core/errors.ts';
import type { RampAccess } from '../access-token-provider.ts';
import { developerUrl } from '../api-base.ts';
import { MAX_ERROR_BODY_BYTES, errorOutcome, jsonOutcome, redirectOutcome, type CallOutcome } from '../call-outcome.ts';
import { readRampError } from '../ramp-errors.ts';
import type { AccountingSyncBody } from '../resources.ts';
import type { RampResponse } from '../ramp-response.ts';
import type { RampRequest } from '../transport.ts';
import { rampHeaders } from './request-headers.ts';

export function buildAccountingSyncRequest(access: RampAccess, body: AccountingSyncBody): RampRequest {
  return {
    method: 'POST',
    url: developerUrl(access.apiBaseUrl, 'accounting/syncs'),
    headers: rampHeaders(access, { 'content-type': 'application/json' }),
    body: JSON.stringify(body),
  };
}

export async function processAccountingSyncResponse(response: RampResponse, access: RampAccess, nowMs: number): Promise<CallOutcome<unknown>> {
  if (response.status >= 300 && response.status < 400) return redirectOutcome(response);
  if (response.status === 400 || response.status === 422) {
    // Ramp refused the objects themselves (unknown ids, "InvalidInput", docs/ramp-behaviour.md#accounting-syncs): the caller's input, not an outage.
    const text = await response.text(MAX_ERROR_BODY_BYTES);
    const info = readRampError(response.status, text ?? '', response.header('x-trace-id'), [access.accessToken]);
    return { kind: 'failed', error: new ApiError('invalid_request', `Ramp refused the sync${info.message ? `: ${info.message}` : ''}`) };
  }
  if (response.status !== 200 && response.status !== 201) return errorOutcome(response, access, nowMs);
  const json = await jsonOutcome(response);
  return json.ok ? { kind: 'ok', value: json.value } : { kind: 'failed', error: json.error };
}
