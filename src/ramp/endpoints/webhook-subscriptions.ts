/**
 * @module Ramp's webhook subscription API (`/developer/v1/webhooks…`, developer-api.json's
 * `OutboundWebhookSubscription*` schemas; docs/ramp-webhooks-plan.md), and the by-id read of one
 * object that an event names. Each is a `RampCall` for `RampClient.call`, so it gets the client's
 * token, limiter, refresh-on-401 and retries like every other call.
 */
import { ApiError } from '../../core/errors.ts';
import type { RampAccess } from '../access-token-provider.ts';
import { developerUrl } from '../api-base.ts';
import { errorOutcome, jsonOutcome, redirectOutcome, type CallOutcome } from '../call-outcome.ts';
import type { RampCall } from '../ramp-client.ts';
import type { RampResponse } from '../ramp-response.ts';
import { rampHeaders } from './request-headers.ts';

/** `OutboundWebhookSubscriptionResource`: `status` is `pending_verification`, `active` or `inactive` by Ramp's enum. */
export interface RampWebhookSubscription {
  readonly id: string;
  /** Not among the schema's required fields: Ramp may leave it out. */
  readonly business_id?: string;
  readonly endpoint_url: string;
  readonly event_types: readonly string[];
  readonly status: string;
}

/** The answer to a create: the only time Ramp shows the `secret`. */
export interface CreatedRampWebhookSubscription extends RampWebhookSubscription {
  readonly secret: string;
}

/** A by-id read that Ramp answered 404 (deleted, lost, or not this business's). */
export const NOT_FOUND = Symbol('not found');

function subscriptionOf(value: unknown): RampWebhookSubscription | undefined {
  const body = value as Record<string, unknown> | null;
  if (typeof body !== 'object' || body === null || typeof body.id !== 'string' || typeof body.status !== 'string') return undefined;
  return body as unknown as RampWebhookSubscription;
}

async function jsonCall<T>(response: RampResponse, access: RampAccess, nowMs: number, ok: readonly number[], read: (value: unknown) => T | undefined, notFound?: T): Promise<CallOutcome<T>> {
  if (response.status >= 300 && response.status < 400) return redirectOutcome(response);
  if (response.status === 404 && notFound !== undefined) {
    response.discard();
    return { kind: 'ok', value: notFound };
  }
  if (!ok.includes(response.status)) return errorOutcome(response, access, nowMs);
  const json = await jsonOutcome(response);
  if (!json.ok) return { kind: 'failed', error: json.error };
  const value = read(json.value);
  return value === undefined ? { kind: 'failed', error: new ApiError('ramp_error', 'Ramp answered with an unexpected body') } : { kind: 'ok', value };
}

export function createSubscriptionCall(body: { endpoint_url: string; event_types: readonly string[] }): RampCall<CreatedRampWebhookSubscription> {
  return {
    method: 'POST',
    label: 'POST /webhooks',
    build: (access) => ({ method: 'POST', url: developerUrl(access.apiBaseUrl, 'webhooks'), headers: rampHeaders(access, { 'content-type': 'application/json' }), body: JSON.stringify(body) }),
    process: (response, access, nowMs) =>
      jsonCall(response, access, nowMs, [200, 201], (value) => {
        const subscription = subscriptionOf(value);
        return subscription && typeof (value as { secret?: unknown }).secret === 'string' ? (value as CreatedRampWebhookSubscription) : undefined;
      }),
  };
}

export function getSubscriptionCall(id: string): RampCall<RampWebhookSubscription | typeof NOT_FOUND> {
  return {
    method: 'GET',
    label: 'GET /webhooks/{id}',
    build: (access) => ({ method: 'GET', url: developerUrl(access.apiBaseUrl, `webhooks/${encodeURIComponent(id)}`), headers: rampHeaders(access) }),
    process: (response, access, nowMs) => jsonCall<RampWebhookSubscription | typeof NOT_FOUND>(response, access, nowMs, [200], subscriptionOf, NOT_FOUND),
  };
}

/** 204, or 404 when it is already gone: both mean "no longer subscribed". */
export function deleteSubscriptionCall(id: string): RampCall<void> {
  return {
    method: 'DELETE',
    label: 'DELETE /webhooks/{id}',
    build: (access) => ({ method: 'DELETE', url: developerUrl(access.apiBaseUrl, `webhooks/${encodeURIComponent(id)}`), headers: rampHeaders(access) }),
    process: async (response, access, nowMs) => {
      if (response.status === 204 || response.status === 200 || response.status === 404) {
        response.discard();
        return { kind: 'ok', value: undefined };
      }
      return errorOutcome(response, access, nowMs);
    },
  };
}

export function verifySubscriptionCall(id: string, challenge: string): RampCall<void> {
  return {
    method: 'POST',
    label: 'POST /webhooks/{id}/verify',
    build: (access) => ({
      method: 'POST',
      url: developerUrl(access.apiBaseUrl, `webhooks/${encodeURIComponent(id)}/verify`),
      headers: rampHeaders(access, { 'content-type': 'application/json' }),
      body: JSON.stringify({ challenge }),
    }),
    process: async (response, access, nowMs) => {
      if (response.status === 200) {
        response.discard();
        return { kind: 'ok', value: undefined };
      }
      if (response.status >= 300 && response.status < 400) return redirectOutcome(response);
      return errorOutcome(response, access, nowMs);
    },
  };
}

/** `GET /developer/v1/{rampPath}/{id}`: the object as Ramp holds it now, or `NOT_FOUND`. */
export function objectByIdCall(rampPath: string, id: string): RampCall<Record<string, unknown> | typeof NOT_FOUND> {
  return {
    method: 'GET',
    label: `GET /${rampPath}/{id}`,
    build: (access) => ({ method: 'GET', url: developerUrl(access.apiBaseUrl, `${rampPath}/${encodeURIComponent(id)}`), headers: rampHeaders(access) }),
    process: (response, access, nowMs) =>
      jsonCall<Record<string, unknown> | typeof NOT_FOUND>(response, access, nowMs, [200], (value) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined), NOT_FOUND),
  };
}
