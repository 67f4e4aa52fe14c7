/**
 * The retry loop of RampClient with a scripted fetch: idempotent retries with growing jittered
 * delays, a POST sent once, one refresh after a 401, Retry-After as a floor and a lockout for the
 * whole connection, timeouts, the attempt cap and the deadline (docs/guarantees.md#g25–#g26).
 */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/core/errors.ts';
import { RampClient } from '../../src/ramp/ramp-client.ts';
import { RampResponse, ResponseBody } from '../../src/ramp/ramp-response.ts';
import { PartSinkError, type StoredParts } from '../../src/ramp/kept-array-scanner.ts';
import { TransportTimeoutError, type Transport } from '../../src/ramp/transport.ts';
import type { AccessTokenProvider, RampAccess } from '../../src/ramp/access-token-provider.ts';

class FakeTokens implements AccessTokenProvider {
  token = 'ramp_tok_first_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  refreshes = 0;
  access(): RampAccess {
    return { connectionId: 'conn', accessToken: this.token, apiBaseUrl: 'https://demo-api.ramp.com', environment: 'sandbox', expiresAt: Date.now() + 3_600_000 };
  }
  async getAccess(): Promise<RampAccess> {
    return this.access();
  }
  async assertConnected(): Promise<void> {}
  async refreshAfterUnauthorized(_b: string, rejected: string): Promise<RampAccess> {
    if (rejected === this.token) {
      this.refreshes++;
      this.token = `ramp_tok_second_${this.refreshes}_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb`;
    }
    return this.access();
  }
}

type Scripted = RampResponse | 'network' | 'hang';

function harness(script: Scripted[], options: { deadlineMs?: number; maxAttempts?: number; timeoutMs?: number } = {}) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const seen: { method: string; url: string; authorization: string | null; at: number }[] = [];
  const transport: Transport = async (request, { timeoutMs }) => {
    seen.push({ method: request.method, url: request.url.href, authorization: request.headers.authorization ?? null, at: now });
    const next = script.shift() ?? RampResponse.of(500, '{}');
    if (next === 'network') throw new TypeError('fetch failed');
    if (next === 'hang') {
      return new Promise((_resolve, reject) => setTimeout(() => reject(new TransportTimeoutError()), timeoutMs));
    }
    return next;
  };
  const tokens = new FakeTokens();
  const client = new RampClient(tokens, {
    transport,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    random: () => 0.5,
    backoff: { baseMs: 100, capMs: 10_000 },
    timeoutMs: options.timeoutMs ?? 50,
    deadlineMs: options.deadlineMs ?? 60_000,
    maxAttempts: options.maxAttempts ?? 6,
  });
  return { client, tokens, sleeps, seen, advance: (ms: number) => (now += ms) };
}

const page = (next: string | null = null) => RampResponse.of(200, JSON.stringify({ data: [{ id: 't1' }], page: { next } }));
const status = (code: number, headers: Record<string, string> = {}) => RampResponse.of(code, JSON.stringify({ error_v2: { error_code: 'X', message: 'nope' } }), headers);

describe('RampClient retry loop', () => {
  it('GET on 503, 503, 200 succeeds on the third call after growing jittered delays', async () => {
    const h = harness([status(503), status(503), page()]);
    const result = await h.client.fetchPage('b', { resource: 'transactions', params: {} });
    expect(result.records).toEqual([{ id: 't1' }]);
    expect(h.seen).toHaveLength(3);
    expect(h.sleeps).toEqual([50, 100]); // rand 0.5 × 100·2^n
  });

  it('a page whose lines go to a sink: a cut transfer is retried under a new generation; the sink failing is not retried', async () => {
    // The connection drops once the first part is stored (the sink ends the body then).
    const cut = new ResponseBody();
    cut.push(Buffer.from('{"data":[{"id":"s1","statement_lines":[1,2,'));
    const whole = RampResponse.of(200, '{"data":[{"id":"s1","statement_lines":[1,2,3]}],"page":{"next":null}}');
    const h = harness([new RampResponse(200, {}, cut), whole]);
    const written: { generation: string; partNo: number }[] = [];
    const write = async (part: { generation: string; partNo: number }) => {
      written.push(part);
      cut.end(new Error('socket hang up'));
    };
    const kept = { keys: new Set(['statement_lines']), sink: { write }, partBytes: 2 };
    const result = await h.client.fetchPage('b', { resource: 'statements', params: {} }, undefined, kept);
    expect(h.seen).toHaveLength(2);
    const stored = result.records[0]!.statement_lines as StoredParts;
    expect(written.filter((part) => part.generation !== stored.generation).length).toBeGreaterThan(0);
    expect(written.filter((part) => part.generation === stored.generation).map((part) => part.partNo)).toEqual([0, 1, 2]);

    const failing = harness([RampResponse.of(200, '{"data":[{"id":"s1","statement_lines":[1,2,3]}]}'), whole]);
    const sink = { write: async () => Promise.reject(new Error('disk full')) };
    await expect(failing.client.fetchPage('b', { resource: 'statements', params: {} }, undefined, { ...kept, sink })).rejects.toBeInstanceOf(PartSinkError);
    expect(failing.seen).toHaveLength(1);
  });

  it('a POST on 503, a network error or a timeout is sent exactly once (docs/guarantees.md#g25)', async () => {
    for (const [failure, code] of [[status(503), 'ramp_unavailable'], ['network', 'ramp_unavailable'], ['hang', 'ramp_timeout']] as const) {
      const h = harness([failure, page()]);
      await expect(h.client.createAccountingSync('b', { idempotency_key: 'k', sync_type: 'TRANSACTION_SYNC', successful_syncs: [{ id: 'x', reference_id: 'x' }] })).rejects.toMatchObject({ code });
      expect(h.seen.map((s) => s.method)).toEqual(['POST']);
    }
  });

  it('a 401 triggers one refresh and one retry with the new token, any method', async () => {
    const h = harness([status(401), RampResponse.of(201, '{"id":"s1"}')]);
    const answer = await h.client.createAccountingSync('b', { idempotency_key: 'k', sync_type: 'TRANSACTION_SYNC' });
    expect(answer).toEqual({ id: 's1' });
    expect(h.tokens.refreshes).toBe(1);
    expect(h.seen[0]!.authorization).toContain('first');
    expect(h.seen[1]!.authorization).toContain('second');
  });

  it('a second 401 after the refresh is reauthorization_required, and no more refreshes', async () => {
    const h = harness([status(401), status(401), page()]);
    await expect(h.client.fetchPage('b', { resource: 'cards', params: {} })).rejects.toMatchObject({ code: 'reauthorization_required', status: 409 });
    expect(h.tokens.refreshes).toBe(1);
    expect(h.seen).toHaveLength(2);
  });

  it('429 with Retry-After waits at least that long, and holds other calls of the connection too', async () => {
    const h = harness([status(429, { 'retry-after': '3' }), page(), page()]);
    await h.client.fetchPage('b', { resource: 'transactions', params: {} });
    expect(h.sleeps[0]).toBeGreaterThanOrEqual(3000);
    expect(h.seen).toHaveLength(2);
  });

  it('after a 429, no other call of the connection is sent before Retry-After: a request inside the lockout would extend it (docs/guarantees.md#g26)', async () => {
    const h = harness([status(429, { 'retry-after': '3' }), page()]);
    // The first call gives up at once (one attempt), so nothing but the lockout holds the second.
    await expect(h.client.fetchPage('b', { resource: 'transactions', params: {} }, { maxAttempts: 1 })).rejects.toMatchObject({ code: 'ramp_rate_limited' });
    const refusedAt = h.seen[0]!.at;
    await h.client.fetchPage('b', { resource: 'users', params: {} });
    expect(h.seen).toHaveLength(2);
    expect(h.seen[1]!.at - refusedAt).toBeGreaterThanOrEqual(3_000);
  });

  it('429 with an HTTP-date Retry-After is honoured as a floor', async () => {
    const date = new Date(1_000_000 + 7_000).toUTCString();
    const scripted = harness([status(429, { 'retry-after': date }), page()]);
    await scripted.client.fetchPage('b', { resource: 'transactions', params: {} });
    expect(scripted.sleeps[0]).toBeGreaterThanOrEqual(6000);
  });

  it('gives up after the attempt cap with the last error, and before a wait that would pass the deadline', async () => {
    const capped = harness([status(502), status(502), status(502)], { maxAttempts: 3 });
    await expect(capped.client.fetchPage('b', { resource: 'users', params: {} })).rejects.toMatchObject({ code: 'ramp_unavailable' });
    expect(capped.seen).toHaveLength(3);
    const rateLimited = harness([status(429, { 'retry-after': '120' }), page()], { deadlineMs: 10_000 });
    const error = await rateLimited.client.fetchPage('b', { resource: 'users', params: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'ramp_rate_limited', status: 429, headers: { 'retry-after': '120' } });
    expect(rateLimited.seen).toHaveLength(1);
  });

  it('a request that outlives its timeout is retried (GET) and reported as ramp_timeout when attempts run out', async () => {
    const h = harness(['hang', page()]);
    expect((await h.client.fetchPage('b', { resource: 'users', params: {} })).records).toHaveLength(1);
    const out = harness(['hang', 'hang'], { maxAttempts: 2 });
    await expect(out.client.fetchPage('b', { resource: 'users', params: {} })).rejects.toMatchObject({ code: 'ramp_timeout', status: 504 });
  });

  it('pages() follows page.next until it is null', async () => {
    const h = harness([page('https://demo-api.ramp.com/developer/v1/transactions?start=t1'), page()]);
    const pages = [];
    for await (const p of h.client.pages('b', { resource: 'transactions', params: { page_size: 2 } })) pages.push(p);
    expect(pages).toHaveLength(2);
    expect(h.seen[1]!.url).toBe('https://demo-api.ramp.com/developer/v1/transactions?start=t1');
  });

  it('no token appears in errors', async () => {
    const h = harness([RampResponse.of(400, JSON.stringify({ error_v2: { error_code: 'X', message: 'ramp_tok_first_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa is invalid' } }))]);
    const error = (await h.client.fetchPage('b', { resource: 'users', params: {} }).catch((e: unknown) => e)) as ApiError;
    expect(JSON.stringify({ detail: error.detail, message: error.message })).not.toContain('ramp_tok_first');
  });
});
