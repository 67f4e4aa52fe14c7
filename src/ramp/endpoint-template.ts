/**
 * @module Ramp calls as metrics see them: the path template of a request URL (never its raw path,
 * which holds ids, nor its query), and a transport wrapper that records every exchange
 * (src/metrics/registry.ts). Wrapping the transport counts the typed client and the proxy alike,
 * retries included, without touching the retry loop.
 */
import { metrics, secondsSince } from '../metrics/registry.ts';
import { RAMP_PATH_TEMPLATES } from './endpoint-templates.ts';
import { TransportTimeoutError, type Transport } from './transport.ts';

const API_ROOT = '/developer/v1';

interface CompiledTemplate {
  readonly template: string;
  readonly pattern: RegExp;
  readonly literals: number;
}

/** Templates by first segment, most literal segments first (`/cards/deferred/physical` before `/cards/{card_id}`…). */
const BY_FIRST_SEGMENT: ReadonlyMap<string, readonly CompiledTemplate[]> = (() => {
  const index = new Map<string, CompiledTemplate[]>();
  for (const template of RAMP_PATH_TEMPLATES) {
    const segments = template.split('/').slice(1);
    const source = segments.map((s) => (s.startsWith('{') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'))).join('/');
    const compiled = { template, pattern: new RegExp(`^/${source}/?$`), literals: segments.filter((s) => !s.startsWith('{')).length };
    const list = index.get(segments[0]!) ?? [];
    list.push(compiled);
    index.set(segments[0]!, list);
  }
  for (const list of index.values()) list.sort((a, b) => b.literals - a.literals);
  return index;
})();

/**
 * The Ramp path template a URL calls (`/transactions/{transaction_id}`), or `other` for a path Ramp's
 * API does not document (the proxy forwards what callers ask for). Any prefix before `/developer/v1`
 * (the emulator's `/sandbox`) is ignored.
 * @example endpointTemplate(new URL('https://api.ramp.com/developer/v1/cards/8f1…?x=1')) // '/cards/{card_id}'
 */
export function endpointTemplate(url: URL): string {
  const at = url.pathname.indexOf(`${API_ROOT}/`);
  if (at < 0) return 'other';
  const path = url.pathname.slice(at + API_ROOT.length);
  const first = path.split('/', 2)[1] ?? '';
  for (const candidate of BY_FIRST_SEGMENT.get(first) ?? []) if (candidate.pattern.test(path)) return candidate.template;
  return 'other';
}

/**
 * One method and template's series, resolved once: prom-client hashes a label object on every call
 * otherwise, which was half of the recording's cost (≈ 4 → 2 µs per exchange). Bounded by methods × templates.
 */
class EndpointSeries {
  readonly duration: ReturnType<typeof metrics.rampRequestDuration.labels>;
  readonly #method: string;
  readonly #endpoint: string;
  readonly #byStatus = new Map<string, ReturnType<typeof metrics.rampRequests.labels>>();

  constructor(method: string, endpoint: string) {
    this.#method = method;
    this.#endpoint = endpoint;
    this.duration = metrics.rampRequestDuration.labels({ method, endpoint });
  }

  count(status: string): void {
    let counter = this.#byStatus.get(status);
    if (!counter) {
      counter = metrics.rampRequests.labels({ method: this.#method, endpoint: this.#endpoint, status });
      this.#byStatus.set(status, counter);
    }
    counter.inc();
  }
}

const seriesByKey = new Map<string, EndpointSeries>();

function seriesFor(method: string, endpoint: string): EndpointSeries {
  const key = `${method} ${endpoint}`;
  let series = seriesByKey.get(key);
  if (!series) {
    series = new EndpointSeries(method, endpoint);
    seriesByKey.set(key, series);
  }
  return series;
}

/** Records each exchange's status (or `timeout`/`network_error`/`aborted`) and time to response headers. */
export function instrumentTransport(transport: Transport): Transport {
  return async (request, options) => {
    const started = performance.now();
    const endpoint = endpointTemplate(request.url);
    const series = seriesFor(request.method, endpoint);
    let status: string;
    try {
      const response = await transport(request, options);
      status = String(response.status);
      if (response.status === 429) metrics.rampRateLimited.inc({ endpoint });
      return response;
    } catch (error) {
      status = error instanceof TransportTimeoutError ? 'timeout' : options.signal?.aborted ? 'aborted' : 'network_error';
      throw error;
    } finally {
      series.count(status!);
      series.duration.observe(secondsSince(started));
    }
  };
}
