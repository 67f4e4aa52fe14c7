/**
 * @module The one error catalogue. Every failure a client can see has a stable `code`, an HTTP status
 * and a plain `detail`. Handlers throw `ApiError`s; only the error handler builds the wire body.
 */

export interface ErrorSpec {
  readonly status: number;
  readonly detail: string;
}

/** Stable codes (snake_case) → status and default detail. The product's documented texts are kept verbatim. */
export const ERRORS = {
  not_authenticated: { status: 401, detail: 'Not authenticated' },
  not_enough_permissions: { status: 403, detail: 'Not enough permissions' },
  not_found: { status: 404, detail: 'Not found' },
  business_not_found: { status: 404, detail: 'Business not found' },
  route_not_found: { status: 404, detail: 'Not Found' },
  method_not_allowed: { status: 405, detail: 'Method Not Allowed' },
  resource_exists: { status: 409, detail: 'Resource already exists' },
  token_limit_reached: { status: 409, detail: 'At most 10 active API tokens are allowed per user; revoke one first' },
  invalid_request: { status: 400, detail: 'Invalid request parameters' },
  // Answered before any route runs (src/http/error-handler.ts: Fastify's frameworkErrors and clientErrorHandler).
  invalid_url: { status: 400, detail: 'The request path is not a valid URL: a percent sign must start an escape of UTF-8 bytes' },
  uri_too_long: { status: 414, detail: 'A path segment is longer than 2048 characters' },
  invalid_http_request: { status: 400, detail: 'Invalid HTTP request received' },
  request_timeout: { status: 408, detail: 'The request was not received in time' },
  request_headers_too_large: { status: 431, detail: 'The request headers are too large' },
  payload_too_large: { status: 413, detail: 'Request body is too large' },
  unsupported_media_type: { status: 415, detail: 'Unsupported media type' },
  // FastAPI answers a body its JSON decoder cannot recurse through with 400 "There was an error parsing the body";
  // the limit is MAX_JSON_DEPTH (src/http/validation/json-body.ts).
  json_too_deep: { status: 400, detail: 'There was an error parsing the body: its JSON nests arrays and objects more than 128 levels deep' },
  invalid_idempotency_key: { status: 400, detail: 'Idempotency-Key must be 1 to 255 visible ASCII characters' },
  idempotency_key_in_progress: { status: 409, detail: 'A request with this Idempotency-Key is still being processed; retry shortly' },
  rate_limited: { status: 429, detail: 'Too many requests; retry after the time given in Retry-After' },
  // Ramp connection
  ramp_invalid_client: {
    status: 400,
    detail: 'Ramp rejected the Client ID or Client Secret. Copy both again from Ramp Dashboard → Company → Developer.',
  },
  ramp_unauthorized_client: {
    status: 400,
    detail:
      'Your Ramp app is not allowed to use this grant. Enable the "Client Credentials" grant type on the app in Ramp Dashboard → Company → Developer.',
  },
  ramp_invalid_scope: {
    status: 400,
    detail: 'Your Ramp app does not allow the requested scopes. Add them to the app in Ramp Dashboard → Company → Developer.',
  },
  ramp_invalid_grant: { status: 400, detail: 'Ramp rejected the authorization; connect again' },
  ramp_access_denied: { status: 400, detail: 'The Ramp authorization was denied' },
  ramp_error: { status: 502, detail: 'Ramp returned an unexpected error' },
  ramp_unavailable: { status: 502, detail: 'Ramp is unreachable or failing right now; nothing was saved. Try again in a minute.' },
  ramp_timeout: { status: 504, detail: 'Ramp did not answer in time' },
  ramp_rate_limited: { status: 429, detail: 'Ramp rate limit reached; retry after the time given in Retry-After' },
  ramp_response_too_large: { status: 502, detail: 'Ramp response exceeds the size limit' },
  ramp_not_connected: { status: 404, detail: 'This business has no Ramp connection' },
  reauthorization_required: { status: 409, detail: 'The Ramp connection must be re-authorized by an admin' },
  ramp_scope_missing: {
    status: 409,
    detail:
      'The Ramp connection was not granted a scope this needs (accounting:read, accounting:write). Allow it on the Ramp app (Ramp Dashboard → Company → Developer) and connect again asking for it (connect-with-credentials: list it in scopes)',
  },
  invalid_state: { status: 400, detail: 'The authorization request is invalid, expired or was already used; start again' },
  oauth_other_browser: {
    status: 400,
    detail: 'This Ramp authorization was started in another browser (or its cookie is missing); open the connect link again in this browser',
  },
  return_to_not_allowed: { status: 400, detail: 'return_to is not on the allowlist' },
  invalid_proxy_path: { status: 400, detail: 'The proxy path is not allowed' },
  invalid_webhook_signature: { status: 401, detail: 'Invalid webhook signature' },
  webhook_business_mismatch: { status: 403, detail: "The event names another Ramp business than this subscription's" },
  webhook_not_ready: { status: 503, detail: 'This webhook subscription is still being set up; retry later' },
  credentials_corrupt: { status: 409, detail: 'The stored Ramp credentials could not be decrypted; reconnect Ramp' },
  encryption_key_unavailable: {
    status: 503,
    detail: 'This server does not have the encryption key of this connection yet (a key rotation is rolling out); retry after the time given in Retry-After',
  },
  oauth_not_configured: { status: 503, detail: 'The Ramp OAuth app is not configured (set RAMP_CLIENT_ID and RAMP_CLIENT_SECRET)' },
  sync_not_found: { status: 404, detail: 'Sync not found' },
  accounting_connection_missing: {
    status: 409,
    detail: 'The Ramp business has no active accounting connection: create this product\'s with POST /api/v1/ramp/accounting/migrations {"remote_provider_name": …} (no backup needed while none is active), or link one in Ramp (Settings → Accounting)',
  },
  accounting_connection_read_only: {
    status: 409,
    detail:
      "The active accounting connection is a direct connection managed in Ramp (e.g. QuickBooks, NetSuite): its GL accounts, vendors and custom fields are read-only through Ramp's API. To manage them from this product: back up the chart (POST /api/v1/ramp/accounting/chart/backups), disconnect the connection in Ramp (Settings → Accounting), then start a migration with that backup_id, which connects this product and re-uploads the chart",
  },
  accounting_connection_changed: { status: 409, detail: 'The active accounting connection changed while the chart job ran; nothing more was written. Send the chart again' },
  accounting_job_in_progress: { status: 409, detail: 'A chart-of-accounts job is already queued or running for this business; wait for it to finish' },
  chart_job_not_found: { status: 404, detail: 'Chart-of-accounts job not found' },
  chart_backup_required: {
    status: 409,
    detail: 'A migration needs a backup of the chart Ramp holds for the active accounting connection: take one with POST /api/v1/ramp/accounting/chart/backups and pass its backup_id',
  },
  webhook_limit_reached: { status: 409, detail: 'At most 20 webhook endpoints are allowed per business; delete one first' },
  internal_error: { status: 500, detail: 'Internal Server Error' },
  service_unavailable: { status: 503, detail: 'Service unavailable' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An expected failure with a stable code. `detail` defaults to the catalogue text. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string;
  readonly headers: Readonly<Record<string, string>>;
  /** With `resource_exists`: the id of what exists, so a caller that lost a race can use it. */
  readonly existingId: string | undefined;

  constructor(code: ErrorCode, detail?: string, options: { headers?: Record<string, string>; cause?: unknown; existingId?: string } = {}) {
    const spec: ErrorSpec = ERRORS[code];
    super(detail ?? spec.detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.status = spec.status;
    this.detail = detail ?? spec.detail;
    this.headers = options.headers ?? {};
    this.existingId = options.existingId;
  }
}

/** One FastAPI/pydantic validation error entry. */
export interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

/** 422 with every problem of the request, FastAPI's `HTTPValidationError`. */
export class RequestValidationError extends Error {
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[]) {
    super('Request validation failed');
    this.name = 'RequestValidationError';
    this.issues = issues;
  }
}
