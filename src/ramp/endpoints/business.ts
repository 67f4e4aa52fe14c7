/** @module `GET /developer/v1/business` (docs/ramp-behaviour.md#resources-and-scopes): the connected Ramp business, not paginated. */
import { ApiError } from '../../core/errors.ts';
import type { RampAccess } from '../access-token-provider.ts';
import { developerUrl } from '../api-base.ts';
import { errorOutcome, jsonOutcome, redirectOutcome, type CallOutcome } from '../call-outcome.ts';
import type { RampResponse } from '../ramp-response.ts';
import type { RampRequest } from '../transport.ts';
import { rampHeaders } from './request-headers.ts';

export interface RampBusiness extends Record<string, unknown> {
  readonly id: string;
}

export function buildBusinessRequest(access: RampAccess): RampRequest {
  return { method: 'GET', url: developerUrl(access.apiBaseUrl, 'business'), headers: rampHeaders(access) };
}

export async function processBusinessResponse(response: RampResponse, access: RampAccess, nowMs: number): Promise<CallOutcome<RampBusiness>> {
  if (response.status >= 300 && response.status < 400) return redirectOutcome(response);
  if (response.status !== 200) return errorOutcome(response, access, nowMs);
  const json = await jsonOutcome(response);
  if (!json.ok) return { kind: 'failed', error: json.error };
  const body = json.value as Record<string, unknown> | null;
  if (typeof body !== 'object' || body === null || typeof body.id !== 'string') {
    return { kind: 'failed', error: new ApiError('ramp_error', 'Ramp returned a business without an id') };
  }
  return { kind: 'ok', value: body as RampBusiness };
}
