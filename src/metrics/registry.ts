/**
 * @module The process's Prometheus metrics (prom-client): one registry and every counter and histogram
 * the domain code records into. A neutral module: it imports nothing of ours, so tokens/, ramp/, sync/
 * and events/ record with one line (`metrics.rampRequests.inc(…)`) without depending on each other.
 * Gauges read from the database at scrape time live in db-gauges.ts; `/metrics` in metrics-route.ts.
 *
 * Labels are low-cardinality by construction: enums (grant, outcome, status, trigger, resource) and
 * Ramp's path templates (src/ramp/endpoint-template.ts). Never a business, connection or record id,
 * never a raw path or query. README "Metrics" documents each one.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const metricsRegistry = new Registry();

let processMetrics = false;
/**
 * Adds prom-client's standard process metrics (CPU, memory, event-loop delay, GC, handles). Only when
 * `/metrics` is served: CLI commands and servers without METRICS_TOKEN keep no GC observer or
 * event-loop monitor for figures nobody reads.
 */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

const registers = [metricsRegistry];
/** Calls to Ramp: a loopback emulator answers in milliseconds, Ramp in tens to hundreds. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const metrics = Object.freeze({
  tokenRefreshes: new Counter({
    name: 'ramp_connect_token_refreshes_total',
    help: "Token requests to Ramp's token endpoint by grant and outcome (success, or the OAuth failure code)",
    labelNames: ['grant', 'outcome'] as const,
    registers,
  }),
  tokenRefreshDuration: new Histogram({
    name: 'ramp_connect_token_refresh_duration_seconds',
    help: "Time Ramp's token endpoint took to answer a refresh or client-credentials grant",
    labelNames: ['grant'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  }),
  needsReauth: new Counter({
    name: 'ramp_connect_connections_needs_reauth_total',
    help: 'Connections this process marked needs_reauth, by reason',
    labelNames: ['reason'] as const,
    registers,
  }),
  rampRequests: new Counter({
    name: 'ramp_connect_ramp_requests_total',
    help: 'HTTP exchanges with the Ramp Developer API (each retry counts) by method, path template and status (or timeout, network_error)',
    labelNames: ['method', 'endpoint', 'status'] as const,
    registers,
  }),
  rampRequestDuration: new Histogram({
    name: 'ramp_connect_ramp_request_duration_seconds',
    help: 'Time from sending a request to Ramp to its response headers, by method and path template',
    labelNames: ['method', 'endpoint'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  }),
  rampRateLimited: new Counter({
    name: 'ramp_connect_ramp_rate_limited_total',
    help: '429 answers received from Ramp, by path template (/token for the token endpoint)',
    labelNames: ['endpoint'] as const,
    registers,
  }),
  limiterWait: new Histogram({
    name: 'ramp_connect_ramp_limiter_wait_seconds',
    help: "Time a call to Ramp waited for our per-connection rate limiter (its window or a 429 lockout) before being sent",
    buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  }),
  syncs: new Counter({
    name: 'ramp_connect_syncs_total',
    help: 'Syncs this process finished, by trigger and final status',
    labelNames: ['trigger', 'status'] as const,
    registers,
  }),
  syncDuration: new Histogram({
    name: 'ramp_connect_sync_duration_seconds',
    help: 'Time from a sync starting to finishing, by trigger and final status',
    labelNames: ['trigger', 'status'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers,
  }),
  syncQueueLag: new Histogram({
    name: 'ramp_connect_sync_queue_lag_seconds',
    help: 'Time from a sync being requested (manual, auto, webhook) to its start, by trigger',
    labelNames: ['trigger'] as const,
    buckets: [0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
    registers,
  }),
  syncRecords: new Counter({
    name: 'ramp_connect_sync_records_total',
    help: 'Records read from Ramp and stored by syncs, by resource',
    labelNames: ['resource'] as const,
    registers,
  }),
  syncRecordsChanged: new Counter({
    name: 'ramp_connect_sync_records_changed_total',
    help: 'Records a sync inserted or changed (unchanged ones are skipped), by resource',
    labelNames: ['resource'] as const,
    registers,
  }),
  webhookDeliveries: new Counter({
    name: 'ramp_connect_webhook_deliveries_total',
    help: 'Outbound webhook delivery attempts by outcome: delivered, failed (will retry), dead (gave up), aborted (handed back on shutdown)',
    labelNames: ['outcome'] as const,
    registers,
  }),
  webhookDeliveryDuration: new Histogram({
    name: 'ramp_connect_webhook_delivery_duration_seconds',
    help: "Time a receiver took to answer one outbound webhook delivery",
    buckets: LATENCY_BUCKETS,
    registers,
  }),
});

/** Seconds since a `performance.now()` reading, for histograms. */
export function secondsSince(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}
