/**
 * Conformance: fault injection (`/__emulator/faults`) and Ramp's rolling-window rate limit (B5) —
 * what a client must survive (docs/guarantees.md).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { EmulatorClient, type AppCredentials } from './helpers.ts';

let emulator: RunningEmulator;
let client: EmulatorClient;
let app: AppCredentials;
let token: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = new EmulatorClient(emulator);
  app = { ...emulator.defaultApp, environment: 'sandbox' };
  token = await client.clientCredentialsToken(app, 'business:read transactions:read');
});
afterAll(() => emulator.close());
beforeEach(() => client.faults({ reset: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('injected failures', () => {
  it('error_rate 1 fails every non-control request with `status`; the control plane is unaffected', async () => {
    await client.faults({ error_rate: 1, status: 502 });
    expect((await client.api('sandbox', '/business', token)).status).toBe(502);
    expect((await client.tokenRequest(app, { grant_type: 'client_credentials', scope: 'business:read' })).status).toBe(502);
    expect((await client.control('GET', '/faults')).status).toBe(200);
    expect((await client.stats()).faults_injected).toBeGreaterThanOrEqual(2);
  });

  it('fail_next N fails exactly the next N matching requests (503, 503, 200)', async () => {
    await client.faults({ fail_next: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await client.api('sandbox', '/business', token)).status);
    expect(statuses).toEqual([503, 503, 200]);
  });

  it('paths limits faults to matching path prefixes', async () => {
    await client.faults({ error_rate: 1, paths: ['/sandbox/developer/v1/transactions'] });
    expect((await client.api('sandbox', '/transactions', token)).status).toBe(503);
    expect((await client.api('sandbox', '/business', token)).status).toBe(200);
  });

  it('latency_ms delays answers', async () => {
    await client.faults({ latency_ms: 150 });
    const started = performance.now();
    expect((await client.api('sandbox', '/business', token)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('hang_ms outlasts a client timeout; close() does not wait for hanging requests', async () => {
    const other = await startEmulator({ port: 0 });
    const otherClient = new EmulatorClient(other);
    await otherClient.faults({ hang_ms: 60_000 });
    const aborted = await fetch(`${other.url}/sandbox/developer/v1/business`, { signal: AbortSignal.timeout(200) }).catch((error: Error) => error);
    expect((aborted as Error).name).toBe('TimeoutError');
    // The hang lasts 60 s, twice the test's timeout: had close() waited for it (or left the request
    // hanging), the test would time out. No wall-clock bound needed.
    const hanging = fetch(`${other.url}/sandbox/developer/v1/business`).then((res) => res.status, () => 'cut');
    await sleep(50);
    await other.close();
    expect(await hanging).toBeDefined(); // ended (answered or cut) instead of hanging on
  });

  it('redirect_to makes resource requests answer 302 to a foreign host (token endpoint untouched)', async () => {
    await client.faults({ redirect_to: 'http://evil.example/steal' });
    const result = await client.api('sandbox', '/transactions', token);
    expect(result.status).toBe(302);
    expect(result.headers.get('location')).toBe('http://evil.example/steal');
    expect((await client.tokenRequest(app, { grant_type: 'client_credentials', scope: 'business:read' })).status).toBe(200);
  });

  it('large_body_bytes pads resource responses with whitespace, keeping valid JSON', async () => {
    await client.faults({ large_body_bytes: 3_000_000 });
    const response = await fetch(`${emulator.url}/sandbox/developer/v1/business`, { headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    expect(Buffer.byteLength(text)).toBe(3_000_000);
    expect(Number(response.headers.get('content-length'))).toBe(3_000_000);
    expect(JSON.parse(text).id).toBe(emulator.demoBusinessId);
  });

  it('rejects unknown or ill-typed fault keys and reports the merged state', async () => {
    expect((await client.control('POST', '/faults', { rotaton: 'grace' })).status).toBe(400);
    expect((await client.control('POST', '/faults', { error_rate: 2 })).status).toBe(400);
    expect((await client.control('POST', '/faults', { status: 404 })).status).toBe(400);
    await client.faults({ rotation: 'grace' });
    const merged = await client.faults({ grace_s: 5 });
    expect(merged).toMatchObject({ rotation: 'grace', grace_s: 5, rate_limit: { limit: 200, window_s: 10 } });
    expect(await client.faults({ reset: true })).toMatchObject({ rotation: 'strict', grace_s: 30 });
  });
});

// The windows run on a clock this file moves by hand (`rateLimitClock`): what a window admits is then a
// function of the requests and the elapsed time we state, never of how fast the machine sends them.
describe('rate limit (200 per 10 s rolling, B5)', () => {
  let limited: RunningEmulator;
  let limitedClient: EmulatorClient;
  let limitedToken: string;
  let nowMs = 0;
  const elapse = (ms: number) => {
    nowMs += ms;
  };
  const business = () => limitedClient.api('sandbox', '/business', limitedToken);

  beforeAll(async () => {
    limited = await startEmulator({ port: 0, rateLimitClock: () => nowMs });
    limitedClient = new EmulatorClient(limited);
    limitedToken = await limitedClient.clientCredentialsToken({ ...limited.defaultApp, environment: 'sandbox' }, 'business:read transactions:read');
  });
  afterAll(() => limited.close());
  beforeEach(async () => {
    await limitedClient.faults({ reset: true });
    elapse(60_000); // past any window a previous test filled
  });

  it('the default allows 200 requests per client in a window, then 429 with Retry-After', async () => {
    const results = await Promise.all(Array.from({ length: 205 }, () => business()));
    expect(results.filter((result) => result.status === 200)).toHaveLength(200);
    const refused = results.filter((result) => result.status === 429);
    expect(refused).toHaveLength(5);
    expect(refused.map((result) => result.headers.get('retry-after'))).toEqual(Array(5).fill('10'));
    expect(refused[0]!.body.error_v2).toMatchObject({ error_code: expect.any(String), message: expect.any(String) });
    // Rolling: 9.999 s later the window still holds all 205; 10 s after them it is empty again.
    elapse(9_999);
    expect((await business()).status).toBe(429);
    elapse(10_000);
    expect((await business()).status).toBe(200);
  });

  it('requests made while limited extend the lockout; waiting it out recovers', async () => {
    await limitedClient.faults({ rate_limit: { limit: 5, window_s: 2 } });
    for (let i = 0; i < 5; i++) expect((await business()).status).toBe(200);
    const blocked = await business();
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('2');
    // Hammer every 100 ms for 2.4 s: a polite client would have been let back in after 2 s.
    for (let t = 0; t < 2_400; t += 100) {
      elapse(100);
      expect((await business()).status, `at ${t + 100} ms`).toBe(429);
    }
    // A second after the hammering stops, its last 10 calls are still in the window; one window after
    // the last call, it is open again.
    elapse(1_000);
    expect((await business()).status).toBe(429);
    elapse(2_000);
    expect((await business()).status).toBe(200);
    expect((await limitedClient.stats()).rate_limited).toBeGreaterThanOrEqual(25);
  });

  it('a client that waits Retry-After is let back in, and not a moment before the window allows', async () => {
    await limitedClient.faults({ rate_limit: { limit: 3, window_s: 2 } });
    for (let i = 0; i < 3; i++) expect((await business()).status).toBe(200);
    elapse(500);
    const blocked = await business();
    expect(blocked.status).toBe(429);
    // The first call leaves the window 2 s after it was made, 1.5 s from now: Retry-After rounds up.
    expect(blocked.headers.get('retry-after')).toBe('2');
    elapse(Number(blocked.headers.get('retry-after')) * 1000);
    expect((await business()).status).toBe(200);
  });

  it('windows are per client; rate_limit false disables the limit', async () => {
    await limitedClient.faults({ rate_limit: { limit: 2, window_s: 5 } });
    const other = await limitedClient.createApp({ grant_types: ['client_credentials'] });
    const otherToken = await limitedClient.clientCredentialsToken(other, 'business:read');
    for (let i = 0; i < 3; i++) await business();
    expect((await business()).status).toBe(429);
    expect((await limitedClient.api('sandbox', '/business', otherToken)).status).toBe(200);
    await limitedClient.faults({ rate_limit: false });
    const results = await Promise.all(Array.from({ length: 250 }, () => business()));
    expect(results.every((result) => result.status === 200)).toBe(true);
  });
});
