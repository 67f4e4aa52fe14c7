/**
 * @module Writes to Ramp's chart of accounts and its accounting connection (docs/ramp-behaviour.md#chart-of-accounts):
 * `POST accounting/accounts|vendors|field-options` (≤ 500 items, all-or-nothing), `POST accounting/fields`,
 * `PATCH`/`DELETE accounting/<kind>/{ramp_id}`, and `GET/POST/DELETE accounting/connection`.
 *
 * A refusal of the request itself (400, 404, 422) is a value, not an error: the chart job reports
 * it item by item. Ramp's 422 names each problem by field path (`gl_accounts.3.classification`) in
 * `error_v2.additional_info`, which is how an item of a refused batch is found without reading prose.
 */
import type { RampAccess } from '../access-token-provider.ts';
import { developerUrl } from '../api-base.ts';
import { MAX_ERROR_BODY_BYTES, errorOutcome, jsonOutcome, redirectOutcome, type CallOutcome } from '../call-outcome.ts';
import type { RampCall } from '../ramp-client.ts';
import { readRampError, scrubText } from '../ramp-errors.ts';
import { RampResponse } from '../ramp-response.ts';
import { rampHeaders } from './request-headers.ts';

/** What Ramp said when it refused a write; nothing of the request was applied. */
export interface RampRefusal {
  readonly status: number;
  readonly rampCode: string | null;
  readonly message: string | null;
  /** `additional_info` of a 422: field path → messages. */
  readonly fieldErrors: Readonly<Record<string, readonly string[]>>;
}

export type ChartWriteResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly refusal: RampRefusal };

const REFUSAL_STATUSES = new Set([400, 404, 409, 422]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `additional_info` as field → messages, each message cleaned like any text taken from Ramp. */
export function readFieldErrors(bodyText: string, secrets: readonly string[]): Record<string, string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return {};
  }
  const info = isRecord(parsed) && isRecord(parsed.error_v2) ? parsed.error_v2.additional_info : undefined;
  if (!isRecord(info)) return {};
  const out: Record<string, string[]> = {};
  for (const [field, messages] of Object.entries(info)) {
    if (!Array.isArray(messages)) continue;
    out[scrubText(field).slice(0, 120)] = messages.filter((m): m is string => typeof m === 'string').map((m) => scrubText(m, secrets));
  }
  return out;
}

async function processWrite(response: RampResponse, access: RampAccess, nowMs: number): Promise<CallOutcome<ChartWriteResult>> {
  if (response.status >= 300 && response.status < 400) return redirectOutcome(response);
  if (response.status === 204) {
    response.discard();
    return { kind: 'ok', value: { ok: true, value: null } };
  }
  if (response.status === 200 || response.status === 201) {
    const json = await jsonOutcome(response);
    return json.ok ? { kind: 'ok', value: { ok: true, value: json.value } } : { kind: 'failed', error: json.error };
  }
  if (REFUSAL_STATUSES.has(response.status)) {
    const text = (await response.text(MAX_ERROR_BODY_BYTES)) ?? '';
    const info = readRampError(response.status, text, response.header('x-trace-id'), [access.accessToken]);
    // 401-shaped codes on a 404 are an auth failure, not a refusal (docs/ramp-behaviour.md#errors).
    if (info.rampCode === 'DEVELOPER_7002' || info.rampCode === 'DEVELOPER_7028') return errorOutcome(replay(response, text), access, nowMs);
    const refusal: RampRefusal = { status: info.status, rampCode: info.rampCode, message: info.message, fieldErrors: readFieldErrors(text, [access.accessToken]) };
    return { kind: 'ok', value: { ok: false, refusal } };
  }
  return errorOutcome(response, access, nowMs);
}

/** A response whose body was already read, handed on to `errorOutcome`. */
function replay(response: RampResponse, text: string): RampResponse {
  const headers: Record<string, string> = {};
  for (const name of Object.keys(response.headers)) headers[name] = response.header(name) ?? '';
  return RampResponse.of(response.status, text, headers);
}

/** One write to `accounting/<path>`; `body` is JSON. PATCH and DELETE are idempotent and retried, POST is sent once. */
export function chartWriteCall(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): RampCall<ChartWriteResult> {
  const label = `${method} /accounting/${path.replace(/\/[0-9a-f-]{36}$/i, '/{id}')}`;
  return {
    method,
    label,
    build: (access) => ({
      method,
      url: developerUrl(access.apiBaseUrl, `accounting/${path}`),
      headers: rampHeaders(access, body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    process: processWrite,
  };
}

/** Ramp's `AccountingProvider`. */
export interface AccountingProvider {
  readonly id: string;
  readonly remote_provider_name: string | null;
  readonly status: string;
  readonly is_active: boolean;
  readonly created_at: string | null;
  readonly last_linked_at: string | null;
}

function providerOf(value: unknown): AccountingProvider | null {
  if (!isRecord(value) || typeof value.id !== 'string') return null;
  return {
    id: value.id,
    remote_provider_name: typeof value.remote_provider_name === 'string' ? value.remote_provider_name : null,
    status: typeof value.status === 'string' ? value.status : 'unknown',
    is_active: value.is_active !== false,
    created_at: typeof value.created_at === 'string' ? value.created_at : null,
    last_linked_at: typeof value.last_linked_at === 'string' ? value.last_linked_at : null,
  };
}

/** `GET accounting/connection`: the active connection, or null (Ramp answers `{message}` without one). */
export function activeConnectionCall(): RampCall<AccountingProvider | null> {
  return {
    method: 'GET',
    label: 'GET /accounting/connection',
    build: (access) => ({ method: 'GET', url: developerUrl(access.apiBaseUrl, 'accounting/connection'), headers: rampHeaders(access) }),
    process: async (response, access, nowMs) => {
      if (response.status >= 300 && response.status < 400) return redirectOutcome(response);
      if (response.status === 404) {
        response.discard();
        return { kind: 'ok', value: null };
      }
      if (response.status !== 200) return errorOutcome(response, access, nowMs);
      const json = await jsonOutcome(response);
      if (!json.ok) return { kind: 'failed', error: json.error };
      const provider = providerOf(json.value);
      return { kind: 'ok', value: provider && provider.is_active ? provider : null };
    },
  };
}

/** The provider a `POST accounting/connection` answered, if its body is one. */
export function providerFromAnswer(value: unknown): AccountingProvider | null {
  return providerOf(value);
}
