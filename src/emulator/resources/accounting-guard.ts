/**
 * @module Who may change accounting data through the API (Ramp's accounting guide): there must be
 * an active connection, and a *direct* one (set up in Ramp's UI) keeps GL accounts, vendors,
 * custom fields and sync results read-only. Ramp's document answers these with 400 "InvalidInput".
 */
import type { ConnectionRecord } from '../data/accounting-book.ts';
import type { BusinessData } from '../data/store.ts';
import { RAMP_ERROR_CODES, RampApiError } from '../errors.ts';

export function noActiveConnection(): RampApiError {
  return new RampApiError(400, RAMP_ERROR_CODES.invalidInput, 'The business has no active accounting connection; create one with POST /developer/v1/accounting/connection');
}

export function directConnectionRefusal(record: ConnectionRecord, what: string): RampApiError {
  return new RampApiError(
    400,
    RAMP_ERROR_CODES.invalidInput,
    `The active accounting connection (${record.wire.remote_provider_name ?? 'direct'}) is a direct connection managed in Ramp: ${what} cannot be changed through the API`,
  );
}

/** The active API connection, or the error Ramp answers. */
export function writableConnection(data: BusinessData, what: string): ConnectionRecord {
  const active = data.accounting.active;
  if (!active) throw noActiveConnection();
  if (active.kind === 'direct') throw directConnectionRefusal(active, what);
  return active;
}
