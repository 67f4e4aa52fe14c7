/**
 * @module Bodies of `POST /developer/v1/webhooks` and `POST /developer/v1/webhooks/{id}/verify`.
 *
 * Ramp validates with marshmallow and answers 422 `DEVELOPER_7001` with `{field: [messages]}`; every
 * bad field is collected before answering, unknown fields included (marshmallow's RAISE).
 * Limits are the schema's: at most 5 `additional_headers`, names ≤ 100 characters, values 1–1000.
 * Endpoint URLs must be HTTPS (webhooks guide); the emulator also accepts plain HTTP to a loopback
 * host so tests can run a receiver without certificates (switch `allow_http_loopback`).
 */
import { RampApiError } from '../errors.ts';
import { isRampWebhookEventType, RAMP_WEBHOOK_EVENT_TYPES, type RampWebhookEventType } from './event-types.ts';

export interface CreateSubscriptionRequest {
  endpointUrl: string;
  eventTypes: RampWebhookEventType[];
  additionalHeaders: Record<string, string>;
}

const MAX_HEADERS = 5;
const MAX_HEADER_NAME = 100;
const MAX_HEADER_VALUE = 1000;
const MAX_URL_LENGTH = 2048;
/** RFC 9110 §5.6.2 token: what a header name may be. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 §5.5 field value (visible ASCII, obs-text, inner spaces and tabs): what HTTP can carry. */
const HEADER_VALUE = /^[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?$/;
/**
 * Headers the emulator sets itself on every delivery; a subscription may not replace them (which
 * header Ramp would let win is unconfirmed, so the emulator refuses the ambiguity).
 */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'connection', 'transfer-encoding', 'user-agent', 'x-ramp-webhook-signature']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class FieldErrors {
  readonly errors: Record<string, string[]> = {};

  add(field: string, message: string): void {
    (this.errors[field] ??= []).push(message);
  }

  throwIfAny(): void {
    if (Object.keys(this.errors).length > 0) throw RampApiError.validation(this.errors);
  }
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function checkEndpointUrl(value: unknown, errors: FieldErrors, allowHttpLoopback: boolean): string | undefined {
  if (value === undefined) return void errors.add('endpoint_url', 'Missing data for required field.');
  if (typeof value !== 'string') return void errors.add('endpoint_url', 'Not a valid string.');
  if (value.length > MAX_URL_LENGTH) return void errors.add('endpoint_url', `Longer than maximum length ${MAX_URL_LENGTH}.`);
  const url = URL.canParse(value) ? new URL(value) : null;
  if (url === null || !/^https?:$/.test(url.protocol) || url.hostname === '') return void errors.add('endpoint_url', 'Not a valid URL.');
  if (url.username !== '' || url.password !== '') return void errors.add('endpoint_url', 'URL must not contain credentials.');
  const loopbackException = allowHttpLoopback && isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !loopbackException) return void errors.add('endpoint_url', 'URL must use HTTPS.');
  return value;
}

function checkEventTypes(value: unknown, errors: FieldErrors): RampWebhookEventType[] | undefined {
  if (value === undefined) return void errors.add('event_types', 'Missing data for required field.');
  if (!Array.isArray(value)) return void errors.add('event_types', 'Not a valid list.');
  if (value.length === 0) return void errors.add('event_types', 'Shorter than minimum length 1.');
  const unknown = value.filter((item) => typeof item !== 'string' || !isRampWebhookEventType(item));
  if (unknown.length > 0) {
    const shown = unknown.map((item) => JSON.stringify(item)).join(', ');
    return void errors.add('event_types', `Invalid event types: ${shown}. Must be one of: ${RAMP_WEBHOOK_EVENT_TYPES.join(', ')}.`);
  }
  return [...new Set(value as RampWebhookEventType[])];
}

function checkAdditionalHeaders(value: unknown, errors: FieldErrors): Record<string, string> | undefined {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) return void errors.add('additional_headers', 'Not a valid mapping type.');
  const entries = Object.entries(value);
  if (entries.length > MAX_HEADERS) return void errors.add('additional_headers', `Longer than maximum length ${MAX_HEADERS}.`);
  const seen = new Set<string>();
  let valid = true;
  for (const [name, headerValue] of entries) {
    const fail = (message: string): void => {
      errors.add('additional_headers', `${JSON.stringify(name.slice(0, MAX_HEADER_NAME))}: ${message}`);
      valid = false;
    };
    if (name.length > MAX_HEADER_NAME) fail(`Header name longer than maximum length ${MAX_HEADER_NAME}.`);
    else if (!HEADER_NAME.test(name)) fail('Not a valid header name.');
    else if (RESERVED_HEADERS.has(name.toLowerCase())) fail('This header is set by Ramp and cannot be overridden.');
    else if (seen.has(name.toLowerCase())) fail('Duplicate header name.');
    seen.add(name.toLowerCase());
    if (typeof headerValue !== 'string') fail('Not a valid string.');
    else if (headerValue.length < 1 || headerValue.length > MAX_HEADER_VALUE) fail(`Length must be between 1 and ${MAX_HEADER_VALUE}.`);
    else if (!HEADER_VALUE.test(headerValue)) fail('Not a valid header value.');
  }
  return valid ? (Object.fromEntries(entries) as Record<string, string>) : undefined;
}

function rejectUnknownFields(body: Record<string, unknown>, known: readonly string[], errors: FieldErrors): void {
  for (const key of Object.keys(body)) if (!known.includes(key)) errors.add(key, 'Unknown field.');
}

export function parseCreateSubscriptionBody(body: unknown, options: { allowHttpLoopback: boolean }): CreateSubscriptionRequest {
  if (!isObject(body)) throw RampApiError.validation({ _schema: ['Invalid input type.'] });
  const errors = new FieldErrors();
  const endpointUrl = checkEndpointUrl(body.endpoint_url, errors, options.allowHttpLoopback);
  const eventTypes = checkEventTypes(body.event_types, errors);
  const additionalHeaders = checkAdditionalHeaders(body.additional_headers, errors);
  rejectUnknownFields(body, ['endpoint_url', 'event_types', 'additional_headers'], errors);
  errors.throwIfAny();
  return { endpointUrl: endpointUrl!, eventTypes: eventTypes!, additionalHeaders: additionalHeaders! };
}

export function parseVerifyBody(body: unknown): { challenge: string } {
  if (!isObject(body)) throw RampApiError.validation({ _schema: ['Invalid input type.'] });
  const errors = new FieldErrors();
  const { challenge } = body;
  if (challenge === undefined) errors.add('challenge', 'Missing data for required field.');
  else if (typeof challenge !== 'string') errors.add('challenge', 'Not a valid string.');
  rejectUnknownFields(body, ['challenge'], errors);
  errors.throwIfAny();
  return { challenge: challenge as string };
}
