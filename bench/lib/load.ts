/** @module autocannon, bounded and loopback-only, returning the few figures the bench reports. */
import autocannon from 'autocannon';

export interface LoadResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly requests: number;
}

export async function load(url: string, options: { connections: number; durationS: number; headers?: Record<string, string> }): Promise<LoadResult> {
  if (!/^http:\/\/127\.0\.0\.1[:/]/.test(url)) throw new Error(`bench targets loopback only, got ${url}`);
  const result = await autocannon({ url, connections: options.connections, duration: options.durationS, headers: options.headers ?? {} });
  return {
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result.requests.total,
  };
}
