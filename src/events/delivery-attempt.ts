/**
 * @module One delivery attempt: builds the JSON body, signs it, POSTs it, and classifies the result.
 *
 * - 2xx is success; anything else (3xx included: redirects are not followed, so a signed body never
 *   reaches a host the customer did not register) is a failure to retry.
 * - The error kept for the delivery log is a short classification ("HTTP 500", "timeout after 10000 ms",
 *   "network error (ECONNREFUSED)"), never the receiver's response body: the log is shown through the
 *   API, and echoing bodies would turn webhooks into a way to read internal services.
 * - A destination in a private range is refused before connecting (src/events/private-address.ts) and
 *   logged as `refused: private or reserved address`, whatever the port: no probe of our network.
 * - Neither the secret nor the body is ever logged.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { parseRetryAfter } from '../ramp/retry-policy.ts';
import { PRIVATE_ADDRESS_REFUSED, PrivateAddressError, webhookConnector, type EgressOptions } from './private-address.ts';
import { SIGNATURE_HEADER, signWebhook } from './signature.ts';

export const USER_AGENT = 'ramp-connect-webhooks/1';
export const EVENT_ID_HEADER = 'x-ramp-connect-event-id';

export interface OutboundEvent {
  readonly id: string;
  readonly type: string;
  readonly createdAt: number;
  readonly businessId: string;
  /** The stored JSON text of the event's data. */
  readonly data: string;
}

export type AttemptOutcome =
  | { readonly kind: 'delivered'; readonly status: number }
  | { readonly kind: 'failed'; readonly status: number | null; readonly error: string; readonly retryAfterMs?: number }
  /** Cancelled by shutdown: not the receiver's fault, so not counted as an attempt. */
  | { readonly kind: 'aborted' };

/** The exact bytes sent (and signed). */
export function webhookBody(event: OutboundEvent): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    created_at: new Date(event.createdAt).toISOString(),
    business_id: event.businessId,
    data: JSON.parse(event.data) as unknown,
  });
}

export interface AttemptInput {
  readonly url: string;
  readonly secret: string;
  readonly event: OutboundEvent;
  readonly nowMs: number;
  readonly timeoutMs: number;
  /** Aborted when the worker stops. */
  readonly stopSignal: AbortSignal;
  readonly fetch: typeof fetch;
}

/**
 * The HTTP client deliveries use: undici's fetch on an Agent of its own whose sockets connect through
 * `webhookConnector`, so every connection (keep-alive pools included) is checked where it is made.
 */
export function webhookFetch(egress: EgressOptions): typeof fetch {
  const dispatcher = new Agent({ connect: webhookConnector(egress) });
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...init, dispatcher } as Parameters<typeof undiciFetch>[1])) as unknown as typeof fetch;
}

export async function attemptDelivery(input: AttemptInput): Promise<AttemptOutcome> {
  const body = webhookBody(input.event);
  const timeout = AbortSignal.timeout(input.timeoutMs);
  let response: Response;
  try {
    response = await input.fetch(input.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        [EVENT_ID_HEADER]: input.event.id,
        [SIGNATURE_HEADER]: signWebhook(input.secret, body, input.nowMs),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.any([timeout, input.stopSignal]),
    });
  } catch (error) {
    if (input.stopSignal.aborted) return { kind: 'aborted' };
    if (timeout.aborted) return { kind: 'failed', status: null, error: `timeout after ${input.timeoutMs} ms` };
    return { kind: 'failed', status: null, error: networkError(error) };
  }
  // The body is never read: free the connection without buffering whatever the receiver sent.
  await response.body?.cancel().catch(() => {});
  const status = response.status;
  if (status >= 200 && status <= 299) return { kind: 'delivered', status };
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(response.headers.get('retry-after'), input.nowMs) : undefined;
  const error = status >= 300 && status <= 399 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
  return retryAfterMs === undefined ? { kind: 'failed', status, error } : { kind: 'failed', status, error, retryAfterMs };
}

/** `network error (ECONNREFUSED)` and the like: the cause's code, or undici's short fixed message ("bad port"). */
function networkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (cause instanceof PrivateAddressError) return PRIVATE_ADDRESS_REFUSED;
  if (typeof cause?.code === 'string' && /^[A-Z0-9_]{2,40}$/.test(cause.code)) return `network error (${cause.code})`;
  if (typeof cause?.message === 'string' && /^[a-z][a-z ]{1,40}$/.test(cause.message)) return `network error (${cause.message})`;
  return 'network error';
}
