/**
 * @module Ramp's error bodies and how they map onto our error catalogue (src/core/errors.ts).
 *
 * Ramp answers resource errors with the `error_v2` envelope
 * `{"error_v2": {"error_code", "message", "additional_info", …}, "error": {…}}`, sometimes with a
 * top-level `ramp_error_code`, and unknown paths with an HTML 404 (docs/ramp-behaviour.md#errors).
 * Only the code and a cleaned message are kept: a message is capped, stripped of control
 * characters, and anything token-shaped is redacted, so no credential can reach an error body or log.
 * The parts a caller decides on (status, Ramp's code, the missing scope) travel as fields of
 * `RampAnswerError`, so no caller ever parses our own prose.
 */
import { ApiError } from '../core/errors.ts';

export interface RampErrorInfo {
  readonly status: number;
  /** e.g. `DEVELOPER_7100`; null when the body is not Ramp's envelope. */
  readonly rampCode: string | null;
  readonly message: string | null;
  /** Ramp's `x-trace-id` (docs/ramp-behaviour.md#errors), worth quoting to Ramp support. */
  readonly traceId: string | null;
  /** With `DEVELOPER_7100`: the scope the token lacks, when Ramp's message names it. */
  readonly missingScope: string | null;
}

/** Ramp's code for a token that lacks a scope the endpoint needs (answered with 403). */
export const MISSING_SCOPE_CODE = 'DEVELOPER_7100';
/** Ramp names the missing scope after the last colon of its 7100 message (`…for this token: accounting:write`). */
const MISSING_SCOPE_NAME = /:\s*`?([a-z_]+:[a-z_]+)`?\s*$/;

/** A catalogue error caused by a Ramp answer, keeping what Ramp said as fields. */
export class RampAnswerError extends ApiError {
  readonly ramp: RampErrorInfo;
  constructor(code: ConstructorParameters<typeof ApiError>[0], detail: string | undefined, ramp: RampErrorInfo, options: ConstructorParameters<typeof ApiError>[2] = {}) {
    super(code, detail, options);
    this.ramp = ramp;
  }

  /** Ramp refused because the token lacks a scope (a missing grant, not a failure of ours). */
  get isMissingScope(): boolean {
    return this.ramp.status === 403 || this.ramp.rampCode === MISSING_SCOPE_CODE;
  }
}

const MAX_MESSAGE = 300;
/** Opaque Ramp tokens (`ramp_tok_…`), bearer credentials, and long base64/hex runs. */
const TOKEN_SHAPED = /(ramp_(?:tok|sec|secret)_[A-Za-z0-9._~+/=-]+|Bearer\s+\S+|[A-Za-z0-9_-]{40,})/g;

/** Removes anything that could be a credential from text taken from Ramp. */
export function scrubText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('[REDACTED]');
  // eslint-disable-next-line no-control-regex
  out = out.replace(TOKEN_SHAPED, '[REDACTED]').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return out.length > MAX_MESSAGE ? `${out.slice(0, MAX_MESSAGE)}…` : out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads Ramp's error envelope from a response body; tolerant of HTML, empty and RFC 6749 bodies. */
export function readRampError(status: number, bodyText: string, traceId: string | null, secrets: readonly string[] = []): RampErrorInfo {
  let parsed: unknown;
  try {
    parsed = bodyText.length > 0 ? JSON.parse(bodyText) : undefined;
  } catch {
    parsed = undefined;
  }
  let rampCode: string | null = null;
  let message: string | null = null;
  if (isRecord(parsed)) {
    const v2 = parsed.error_v2;
    if (isRecord(v2)) {
      if (typeof v2.error_code === 'string') rampCode = v2.error_code;
      if (typeof v2.message === 'string') message = v2.message;
    }
    if (rampCode === null && typeof parsed.ramp_error_code === 'string') rampCode = parsed.ramp_error_code;
    const legacy = parsed.error;
    if (message === null && isRecord(legacy) && typeof legacy.message === 'string') message = legacy.message;
    if (message === null && typeof parsed.error_description === 'string') message = parsed.error_description;
    if (rampCode === null && typeof legacy === 'string') rampCode = legacy;
  }
  const cleanCode = rampCode === null ? null : scrubText(rampCode).slice(0, 64);
  const cleanMessage = message === null ? null : scrubText(message, secrets);
  return {
    status,
    rampCode: cleanCode,
    message: cleanMessage,
    traceId: traceId !== null && /^[A-Za-z0-9._-]{1,128}$/.test(traceId) ? traceId : null,
    missingScope: cleanCode === MISSING_SCOPE_CODE && cleanMessage !== null ? (MISSING_SCOPE_NAME.exec(cleanMessage)?.[1] ?? null) : null,
  };
}

/** DEVELOPER_7002 ("no valid token") can come as a 404 on resource calls (docs/ramp-behaviour.md#errors): an auth failure. */
export function isUnauthorized(info: RampErrorInfo): boolean {
  return info.status === 401 || info.rampCode === 'DEVELOPER_7002' || info.rampCode === 'DEVELOPER_7028';
}

function describe(info: RampErrorInfo): string {
  const code = info.rampCode ? ` ${info.rampCode}` : '';
  const message = info.message ? `: ${info.message}` : '';
  const trace = info.traceId ? ` (x-trace-id ${info.traceId})` : '';
  return `Ramp answered ${info.status}${code}${message}${trace}`;
}

/** How a request Ramp failed ends its message; a sync, which kept what it stored before, says otherwise (sync-runner.ts). */
export const NOTHING_SAVED = 'nothing was saved. Try again in a minute.';

/**
 * The catalogue error for a final (not retried, or retries exhausted) Ramp error answer.
 * 429 → `ramp_rate_limited` (with Retry-After), 504 → `ramp_timeout`, other 5xx → `ramp_unavailable`,
 * auth failures → `reauthorization_required`, any other 4xx → `ramp_error` quoting Ramp's message.
 */
export function apiErrorForRampAnswer(info: RampErrorInfo, retryAfterMs?: number): RampAnswerError {
  if (info.status === 429) {
    const seconds = Math.max(1, Math.ceil((retryAfterMs ?? 10_000) / 1000));
    return new RampAnswerError('ramp_rate_limited', undefined, info, { headers: { 'retry-after': String(seconds) } });
  }
  if (info.status === 504) return new RampAnswerError('ramp_timeout', undefined, info);
  if (info.status >= 500) return new RampAnswerError('ramp_unavailable', `Ramp is unreachable or failing right now (${describe(info)}); ${NOTHING_SAVED}`, info);
  if (isUnauthorized(info)) return new RampAnswerError('reauthorization_required', undefined, info);
  return new RampAnswerError('ramp_error', describe(info), info);
}
