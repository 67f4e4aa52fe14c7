/**
 * @module Fault switches (`POST /__emulator/faults`).
 *
 * Two kinds of switch live here:
 * - injected failures a client must survive (latency, hangs, 5xx, 302 to a foreign host, huge bodies,
 *   a changed rate limit) — docs/guarantees.md;
 * - Ramp behaviours nobody has confirmed, where the emulator follows the RFC by default and can be
 *   switched to the alternative (rotation mode, refresh error body, JSON token bodies, …) —
 *   docs/ramp-behaviour.md#unconfirmed.
 */
import { ControlError } from './errors.ts';

/** `off`: the refresh answer repeats the same refresh token; `off_omit`: it carries none (RFC 6749 §6: the server MAY issue a new one). */
export type RotationMode = 'strict' | 'grace' | 'off' | 'off_omit';

export interface RateLimitSetting {
  limit: number;
  window_s: number;
}

export interface Faults {
  /** Added delay before every matching non-control request. */
  latency_ms: number;
  /** Probability (0..1) that a matching non-control request answers `status`. */
  error_rate: number;
  /** The 5xx used by `error_rate` and `fail_next`. */
  status: number;
  /** Requests sleep this long before answering (client-timeout tests). */
  hang_ms: number;
  /** The next N matching requests answer `status` (deterministic `error_rate`). */
  fail_next: number;
  /** `Retry-After` (seconds) sent with injected 5xx answers; RFC 7009 §2.2.1 clients honour it on 503. */
  retry_after_s: number | null;
  /** Ramp: 200 requests per 10 s rolling window (B5); `false` disables it. */
  rate_limit: RateLimitSetting | false;
  /** Refresh-token rotation (RFC 9700 §4.14.2); Ramp rotates (B3), immediacy UNCONFIRMED. */
  rotation: RotationMode;
  /** In `grace` mode a rotated refresh token still answers with the same new pair for this long. */
  grace_s: number;
  /** What reusing a rotated refresh token does outside grace: revoke the family (RFC 9700) or only fail. */
  reuse: 'family_revoke' | 'reject';
  /** Body of the unknown/rotated refresh-token error: Ramp's observed 401 envelope or RFC 6749 §5.2. */
  refresh_error_style: 'ramp' | 'rfc';
  /** Accept JSON bodies on the token endpoints (Ramp's spec declares JSON, its docs mandate a form; B3). */
  json_body: boolean;
  /** Accept `client_id`/`client_secret` in the body (RFC 6749 §2.3.1 allows it; Ramp: UNCONFIRMED). */
  body_client_auth: boolean;
  /** Decode Basic credentials per RFC 6749 §2.3.1 (`form_urlencoded`) or take them verbatim (`raw`). */
  basic_auth_decoding: 'form_urlencoded' | 'raw';
  /** Client-credentials scopes outside the app: RFC `invalid_scope`, or mint the granted subset as the sandbox was seen to (B3). */
  ungranted_scope: 'invalid_scope' | 'subset';
  /** Include `scope` in token responses (an observed sandbox response omitted it, B3). */
  include_scope: boolean;
  /** Ramp documents `state` as required on /v1/authorize (B2). */
  require_state: boolean;
  /** Resource requests answer 302 to this URL. */
  redirect_to: string | null;
  /** Resource responses are padded with trailing whitespace to at least this many bytes. */
  large_body_bytes: number;
  /** Restrict latency/hang/error faults to paths starting with one of these. */
  paths: string[] | null;
}

export function defaultFaults(): Faults {
  return {
    latency_ms: 0,
    error_rate: 0,
    status: 503,
    hang_ms: 0,
    fail_next: 0,
    retry_after_s: null,
    rate_limit: { limit: 200, window_s: 10 },
    rotation: 'strict',
    grace_s: 30,
    reuse: 'family_revoke',
    refresh_error_style: 'ramp',
    json_body: true,
    body_client_auth: false,
    basic_auth_decoding: 'form_urlencoded',
    ungranted_scope: 'invalid_scope',
    include_scope: true,
    require_state: true,
    redirect_to: null,
    large_body_bytes: 0,
    paths: null,
  };
}

/** Keys of the faults body that are actions rather than state. */
export interface FaultActions {
  reset: boolean;
  revokeAll: boolean;
  /** Wake the requests sleeping in a hang or latency fault now (a test's "let it through"). */
  releaseHangs: boolean;
}

type Validator = (value: unknown) => unknown;

function nonNegativeNumber(name: string): Validator {
  return (value) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ControlError(400, `${name} must be a number ≥ 0`);
    return value;
  };
}

function nonNegativeInteger(name: string): Validator {
  return (value) => {
    if (!Number.isSafeInteger(value) || (value as number) < 0) throw new ControlError(400, `${name} must be an integer ≥ 0`);
    return value;
  };
}

function oneOf<T extends string>(name: string, options: readonly T[]): Validator {
  return (value) => {
    if (typeof value !== 'string' || !options.includes(value as T)) throw new ControlError(400, `${name} must be one of ${options.join(', ')}`);
    return value;
  };
}

function boolean(name: string): Validator {
  return (value) => {
    if (typeof value !== 'boolean') throw new ControlError(400, `${name} must be a boolean`);
    return value;
  };
}

const VALIDATORS: Record<keyof Faults, Validator> = {
  latency_ms: nonNegativeNumber('latency_ms'),
  error_rate: (value) => {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new ControlError(400, 'error_rate must be a number in 0..1');
    return value;
  },
  status: (value) => {
    if (!Number.isInteger(value) || (value as number) < 500 || (value as number) > 599) throw new ControlError(400, 'status must be a 5xx status code');
    return value;
  },
  hang_ms: nonNegativeNumber('hang_ms'),
  fail_next: nonNegativeInteger('fail_next'),
  retry_after_s: (value) => (value === null ? null : nonNegativeInteger('retry_after_s')(value)),
  rate_limit: (value) => {
    if (value === false) return false;
    if (value === true) return defaultFaults().rate_limit;
    const candidate = value as Partial<RateLimitSetting> | null;
    if (typeof candidate !== 'object' || candidate === null) throw new ControlError(400, 'rate_limit must be false or {limit, window_s}');
    const limit = candidate.limit ?? 200;
    const windowS = candidate.window_s ?? 10;
    if (!Number.isInteger(limit) || limit < 1) throw new ControlError(400, 'rate_limit.limit must be an integer ≥ 1');
    if (typeof windowS !== 'number' || !(windowS > 0)) throw new ControlError(400, 'rate_limit.window_s must be a number > 0');
    return { limit, window_s: windowS };
  },
  rotation: oneOf('rotation', ['strict', 'grace', 'off', 'off_omit']),
  grace_s: nonNegativeNumber('grace_s'),
  reuse: oneOf('reuse', ['family_revoke', 'reject']),
  refresh_error_style: oneOf('refresh_error_style', ['ramp', 'rfc']),
  json_body: boolean('json_body'),
  body_client_auth: boolean('body_client_auth'),
  basic_auth_decoding: oneOf('basic_auth_decoding', ['form_urlencoded', 'raw']),
  ungranted_scope: oneOf('ungranted_scope', ['invalid_scope', 'subset']),
  include_scope: boolean('include_scope'),
  require_state: boolean('require_state'),
  redirect_to: (value) => {
    if (value === null) return null;
    if (typeof value !== 'string' || !URL.canParse(value)) throw new ControlError(400, 'redirect_to must be an absolute URL or null');
    return value;
  },
  large_body_bytes: nonNegativeInteger('large_body_bytes'),
  paths: (value) => {
    if (value === null) return null;
    if (!Array.isArray(value) || !value.every((path) => typeof path === 'string' && path.startsWith('/'))) {
      throw new ControlError(400, 'paths must be null or an array of path prefixes starting with "/"');
    }
    return [...value];
  },
};

/**
 * Validates a `POST /__emulator/faults` body. Unknown keys are rejected so a typo in a test
 * (`rotaton`) fails loudly instead of silently testing the default.
 */
export function parseFaultsBody(body: unknown): { patch: Partial<Faults>; actions: FaultActions } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ControlError(400, 'Body must be a JSON object');
  const patch: Partial<Faults> = {};
  const actions: FaultActions = { reset: false, revokeAll: false, releaseHangs: false };
  for (const [key, value] of Object.entries(body)) {
    if (key === 'reset') actions.reset = boolean('reset')(value) as boolean;
    else if (key === 'revoke_all') actions.revokeAll = boolean('revoke_all')(value) as boolean;
    else if (key === 'release_hangs') actions.releaseHangs = boolean('release_hangs')(value) as boolean;
    else if (Object.hasOwn(VALIDATORS, key)) {
      (patch as Record<string, unknown>)[key] = VALIDATORS[key as keyof Faults](value);
    } else throw new ControlError(400, `Unknown fault ${JSON.stringify(key)}`);
  }
  return { patch, actions };
}

export function faultAppliesToPath(faults: Faults, path: string): boolean {
  return faults.paths === null || faults.paths.some((prefix) => path.startsWith(prefix));
}
