/**
 * @module Delivery switches of the emulator's Ramp webhooks (`/__emulator/ramp-webhooks/config`).
 *
 * Defaults are Ramp's documented rules: 10 s timeout, up to 10 deliveries of an event, exponential
 * backoff with full jitter starting within 0–60 s. Tests scale the schedule down with
 * `base_delay_ms` instead of waiting minutes, and turn on the misbehaviours a receiver must survive
 * (duplicates, reordering, delay).
 */
import { ControlBody } from '../control/body.ts';

export interface DeliveryConfig {
  /** Retry n (1-based) waits up to `base_delay_ms × 2^(n-1)`; Ramp: the first within 0–60 s. */
  base_delay_ms: number;
  /** false: wait exactly the cap (deterministic schedules in tests). */
  jitter: boolean;
  /** Deliveries of one event at most, the first included. */
  max_attempts: number;
  /** A receiver slower than this is a timeout, retried like a 5xx. */
  timeout_ms: number;
  /** Probability that an event is delivered a second time, independently (same id, same body). */
  duplicate_rate: number;
  /** Shuffle each batch of events emitted together (one `/mutate` call) before sending. */
  reorder: boolean;
  /** Hold every event this long before its first delivery. */
  delay_ms: number;
  /** Deliveries in flight at once, over every subscription. */
  max_concurrency: number;
  /** Accept `http://` endpoint URLs on loopback hosts (Ramp itself accepts HTTPS only). */
  allow_http_loopback: boolean;
  /**
   * Show `business_id` in the create answer. Ramp's `OutboundWebhookSubscriptionWithSecretResource`
   * lists it but does not require it; false answers without it, as Ramp may.
   */
  create_answer_business_id: boolean;
}

export function defaultDeliveryConfig(): DeliveryConfig {
  return {
    base_delay_ms: 60_000,
    jitter: true,
    max_attempts: 10,
    timeout_ms: 10_000,
    duplicate_rate: 0,
    reorder: false,
    delay_ms: 0,
    max_concurrency: 32,
    allow_http_loopback: true,
    create_answer_business_id: true,
  };
}

/** Reads a control body into a partial config; `reset: true` asks for the defaults first. */
export function parseDeliveryConfigBody(raw: unknown): { patch: Partial<DeliveryConfig>; reset: boolean } {
  const body = new ControlBody(raw);
  const reset = body.boolean('reset') ?? false;
  const entries: Partial<DeliveryConfig> = {
    base_delay_ms: body.integer('base_delay_ms', 0, 3_600_000),
    jitter: body.boolean('jitter'),
    max_attempts: body.integer('max_attempts', 1, 100),
    timeout_ms: body.integer('timeout_ms', 1, 600_000),
    duplicate_rate: body.number('duplicate_rate', 0, 1),
    reorder: body.boolean('reorder'),
    delay_ms: body.integer('delay_ms', 0, 3_600_000),
    max_concurrency: body.integer('max_concurrency', 1, 1_000),
    allow_http_loopback: body.boolean('allow_http_loopback'),
    create_answer_business_id: body.boolean('create_answer_business_id'),
  };
  body.rejectUnknown();
  const patch = Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as Partial<DeliveryConfig>;
  return { patch, reset };
}
