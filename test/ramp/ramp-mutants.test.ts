/**
 * src/ramp pinned down where `npm run mutate -- ramp` found it loose: the path-template table and the
 * metrics wrapper, the API-base checks, the response body's caps (whole and streamed), and the
 * rest named in reports/mutation/equivalent.md's ramp section. In-process only (a mutant is active in
 * the vitest worker alone), with real loopback servers where a wire is involved.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metrics } from '../../src/metrics/registry.ts';
import { developerPrefix, developerUrl, isUnderApiBase } from '../../src/ramp/api-base.ts';
import { endpointTemplate, instrumentTransport } from '../../src/ramp/endpoint-template.ts';
import { RAMP_PATH_TEMPLATES } from '../../src/ramp/endpoint-templates.ts';
import { errorOutcome, jsonOutcome, redirectOutcome, MAX_ERROR_BODY_BYTES, type CallOutcome } from '../../src/ramp/call-outcome.ts';
import { apiErrorForRampAnswer, isUnauthorized, readRampError, RampAnswerError, scrubText, type RampErrorInfo } from '../../src/ramp/ramp-errors.ts';
import { buildAccountingSyncRequest, processAccountingSyncResponse } from '../../src/ramp/endpoints/accounting-syncs.ts';
import { buildBusinessRequest, processBusinessResponse } from '../../src/ramp/endpoints/business.ts';
import { buildPageRequest, listUrl, parsePageBody, processPageResponse } from '../../src/ramp/endpoints/list-page.ts';
import { USER_AGENT } from '../../src/ramp/endpoints/request-headers.ts';
import { buildProxyRequest, forwardToRamp, processProxyResponse, type ProxyAnswer, type ProxyRequest } from '../../src/ramp/proxy-forwarder.ts';
import { parseProxyTarget, proxyUpstreamUrl } from '../../src/ramp/proxy-path.ts';
import { RampClient, type RampCall } from '../../src/ramp/ramp-client.ts';
import type { Logger } from 'pino';
import { ApiError } from '../../src/core/errors.ts';
import { RAMP_RESOURCES, descriptorOf, scopesForFlags, syncFlagDefaults, timeOf } from '../../src/ramp/resource-descriptors.ts';
import { currencyAmountToMinorUnits, decimalAmountToMinorUnits, decimalToMinorUnits } from '../../src/ramp/money.ts';
import { LimiterRegistry, RAMP_RATE_LIMIT, RollingWindowLimiter } from '../../src/ramp/rate-limiter.ts';
import { BodyTooLargeError, RampResponse, ResponseBody } from '../../src/ramp/ramp-response.ts';
import { TransportTimeoutError, type RampRequest, type Transport } from '../../src/ramp/transport.ts';
import { isRetryableStatus } from '../../src/ramp/retry-policy.ts';
import { createSubscriptionCall, deleteSubscriptionCall, getSubscriptionCall, NOT_FOUND, objectByIdCall, verifySubscriptionCall } from '../../src/ramp/endpoints/webhook-subscriptions.ts';
import { activeConnectionCall, chartWriteCall, providerFromAnswer, readFieldErrors } from '../../src/ramp/endpoints/accounting-chart.ts';
import { rampPaths } from '../helpers/ramp-schemas.ts';

const API = 'https://api.ramp.com';
const url = (path: string) => new URL(`${API}/developer/v1${path}`);

describe('Ramp path templates', () => {
  it('are the 105 paths of Ramp\'s document: distinct, rooted, sorted, and include every path we read', () => {
    expect(RAMP_PATH_TEMPLATES).toHaveLength(105);
    expect(new Set(RAMP_PATH_TEMPLATES).size).toBe(105);
    for (const template of RAMP_PATH_TEMPLATES) expect(template, template).toMatch(/^\/[a-z]/);
    expect([...RAMP_PATH_TEMPLATES].sort()).toEqual(RAMP_PATH_TEMPLATES);
    for (const path of Object.keys(rampPaths())) expect(RAMP_PATH_TEMPLATES, path).toContain(path.slice('/developer/v1'.length));
    expect(Object.isFrozen(RAMP_PATH_TEMPLATES)).toBe(true);
  });

  it('a URL maps to its template: ids matched as one segment, literal segments first, query and trailing slash ignored', () => {
    expect(endpointTemplate(url('/transactions'))).toBe('/transactions');
    expect(endpointTemplate(url('/transactions/'))).toBe('/transactions');
    expect(endpointTemplate(url('/transactions?page_size=2&start=x'))).toBe('/transactions');
    expect(endpointTemplate(url('/transactions/8f1c'))).toBe('/transactions/{transaction_id}');
    expect(endpointTemplate(url('/cards/deferred/physical'))).toBe('/cards/deferred/physical');
    expect(endpointTemplate(url('/cards/8f1c'))).toBe('/cards/{card_id}');
    expect(endpointTemplate(url('/cards/deferred/status/t1'))).toBe('/cards/deferred/status/{task_id}');
    expect(endpointTemplate(url('/business'))).toBe('/business');
    expect(endpointTemplate(url('/business/balance'))).toBe('/business/balance');
    expect(endpointTemplate(url('/card-programs/p1'))).toBe('/card-programs/{card_program_id}');
    expect(endpointTemplate(new URL('http://127.0.0.1:1/sandbox/developer/v1/bills/b1'))).toBe('/bills/{bill_id}');
  });

  it('anything else is `other`: no API root, an unknown first segment, an extra segment, a look-alike', () => {
    expect(endpointTemplate(new URL(`${API}/transactions`))).toBe('other');
    expect(endpointTemplate(new URL(`${API}/developer/v1`))).toBe('other');
    expect(endpointTemplate(new URL(`${API}/developer/v1/`))).toBe('other');
    expect(endpointTemplate(url('/nope'))).toBe('other');
    expect(endpointTemplate(url('/transactions/a/b'))).toBe('other');
    expect(endpointTemplate(url('/business/balanceX'))).toBe('other');
    expect(endpointTemplate(url('/businessX'))).toBe('other');
    expect(endpointTemplate(url('/cards//deferred'))).toBe('other');
    expect(endpointTemplate(new URL(`${API}/developer/v2/transactions`))).toBe('other');
  });
});

async function counted(method: string, endpoint: string, status: string): Promise<number> {
  const values = (await metrics.rampRequests.get()).values;
  return values.find((v) => v.labels.method === method && v.labels.endpoint === endpoint && v.labels.status === status)?.value ?? 0;
}
async function rateLimited(endpoint: string): Promise<number> {
  return (await metrics.rampRateLimited.get()).values.find((v) => v.labels.endpoint === endpoint)?.value ?? 0;
}
async function observed(method: string, endpoint: string): Promise<number> {
  const values = (await metrics.rampRequestDuration.get()).values;
  return values.find((v) => v.metricName === 'ramp_connect_ramp_request_duration_seconds_count' && v.labels.method === method && v.labels.endpoint === endpoint)?.value ?? 0;
}

describe('instrumentTransport', () => {
  const request = (method: string, path: string): RampRequest => ({ method, url: url(path), headers: {} });

  it('counts each exchange by method, template and status, times it, and counts 429s apart', async () => {
    const answers = [200, 429, 200];
    const wrapped = instrumentTransport(async () => RampResponse.of(answers.shift()!));
    const before = { ok: await counted('GET', '/bills/{bill_id}', '200'), limited: await counted('GET', '/bills/{bill_id}', '429'), l429: await rateLimited('/bills/{bill_id}'), timed: await observed('GET', '/bills/{bill_id}'), post: await counted('POST', '/bills/{bill_id}', '200') };
    expect((await wrapped(request('GET', '/bills/b1'), { timeoutMs: 1_000 })).status).toBe(200);
    expect((await wrapped(request('GET', '/bills/b2'), { timeoutMs: 1_000 })).status).toBe(429);
    expect((await wrapped(request('POST', '/bills/b3'), { timeoutMs: 1_000 })).status).toBe(200);
    expect(await counted('GET', '/bills/{bill_id}', '200')).toBe(before.ok + 1);
    expect(await counted('GET', '/bills/{bill_id}', '429')).toBe(before.limited + 1);
    expect(await counted('POST', '/bills/{bill_id}', '200')).toBe(before.post + 1);
    expect(await rateLimited('/bills/{bill_id}')).toBe(before.l429 + 1);
    expect(await observed('GET', '/bills/{bill_id}')).toBe(before.timed + 2);
  });

  it('a failed exchange is counted as timeout, aborted or network_error, and the error passes through', async () => {
    const failing = (error: Error): Transport => instrumentTransport(async () => Promise.reject(error));
    const path = '/vendors/v1';
    const endpoint = '/vendors/{vendor_id}';
    const before = { timeout: await counted('GET', endpoint, 'timeout'), aborted: await counted('GET', endpoint, 'aborted'), network: await counted('GET', endpoint, 'network_error') };
    const timeout = new TransportTimeoutError();
    await expect(failing(timeout)(request('GET', path), { timeoutMs: 1 })).rejects.toBe(timeout);
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    await expect(failing(reset)(request('GET', path), { timeoutMs: 1, signal: controller.signal })).rejects.toBe(reset);
    await expect(failing(reset)(request('GET', path), { timeoutMs: 1, signal: new AbortController().signal })).rejects.toBe(reset);
    await expect(failing(reset)(request('GET', path), { timeoutMs: 1 })).rejects.toBe(reset);
    expect(await counted('GET', endpoint, 'timeout')).toBe(before.timeout + 1);
    expect(await counted('GET', endpoint, 'aborted')).toBe(before.aborted + 1);
    expect(await counted('GET', endpoint, 'network_error')).toBe(before.network + 2);
    expect(await rateLimited(endpoint)).toBe(0);
  });
});

describe('API base', () => {
  it('builds URLs under /developer/v1/ of the base, whatever slashes the base ends with', () => {
    expect(developerUrl('https://api.ramp.com', 'transactions?a=1').href).toBe('https://api.ramp.com/developer/v1/transactions?a=1');
    expect(developerUrl('https://api.ramp.com/', 'business').href).toBe('https://api.ramp.com/developer/v1/business');
    expect(developerUrl('http://127.0.0.1:9/sandbox//', 'business').href).toBe('http://127.0.0.1:9/sandbox/developer/v1/business');
    expect(developerPrefix('http://127.0.0.1:9/sandbox/')).toBe('/sandbox/developer/v1/');
    expect(developerPrefix('https://demo-api.ramp.com')).toBe('/developer/v1/');
  });

  it('keeps many bases apart (more than it caches)', () => {
    for (let i = 0; i < 70; i++) expect(developerPrefix(`http://127.0.0.1:${1000 + i}/p${i}`)).toBe(`/p${i}/developer/v1/`);
    expect(developerUrl('http://127.0.0.1:1069/p69', 'x').href).toBe('http://127.0.0.1:1069/p69/developer/v1/x');
  });

  it('accepts only the base origin, under the prefix, without userinfo or encoded separators', () => {
    const base = 'http://127.0.0.1:9/sandbox';
    expect(isUnderApiBase('http://127.0.0.1:9/sandbox/developer/v1/transactions?start=1', base)).toBe(true);
    expect(isUnderApiBase(new URL('http://127.0.0.1:9/sandbox/developer/v1/x'), base)).toBe(true);
    expect(isUnderApiBase('not a url', base)).toBe(false);
    expect(isUnderApiBase('http://127.0.0.1:10/sandbox/developer/v1/x', base)).toBe(false);
    expect(isUnderApiBase('http://u@127.0.0.1:9/sandbox/developer/v1/x', base)).toBe(false);
    expect(isUnderApiBase('http://:p@127.0.0.1:9/sandbox/developer/v1/x', base)).toBe(false);
    expect(isUnderApiBase('http://127.0.0.1:9/developer/v1/x', base)).toBe(false);
    expect(isUnderApiBase('http://127.0.0.1:9/sandbox/developer/v1/a/../../x', base)).toBe(false);
    for (const encoded of ['%2e%2e', '%2F', '%5c', '%2E']) expect(isUnderApiBase(`http://127.0.0.1:9/sandbox/developer/v1/a${encoded}b`, base), encoded).toBe(false);
  });
});

describe('RampResponse in memory', () => {
  it('lower-cases header names, joins repeated values, reads content-length strictly', () => {
    const response = RampResponse.of(200, 'abc', { 'Content-Type': 'text/plain', 'Content-Length': '3' });
    expect(response.header('content-type')).toBe('text/plain');
    expect(response.header('Content-Type')).toBeNull();
    expect(response.declaredLength).toBe(3);
    expect(new RampResponse(200, { 'set-cookie': ['a=1', 'b=2'] }, new ResponseBody()).header('set-cookie')).toBe('a=1, b=2');
    for (const [value, expected] of [['-1', null], ['1.5', null], ['x', null], ['0', 0], ['9007199254740993', null]] as const) {
      expect(RampResponse.of(200, '', { 'content-length': value }).declaredLength, value).toBe(expected);
    }
    expect(RampResponse.of(200).declaredLength).toBeNull();
  });

  it('reads the body whole up to its cap, from one chunk or many; past the cap it is null', async () => {
    expect((await RampResponse.of(200, 'hello').text(5))).toBe('hello');
    expect(await RampResponse.of(200, 'hello').text(4)).toBeNull();
    expect(await RampResponse.of(200, Buffer.from('')).text(0)).toBe('');
    // Declared larger than the cap: refused before reading.
    expect(await RampResponse.of(200, 'hi', { 'content-length': '10' }).bytes(5)).toBeNull();
    expect(await RampResponse.of(200, 'hi', { 'content-length': '5' }).text(5)).toBe('hi');
    const body = new ResponseBody();
    const response = new RampResponse(200, {}, body);
    const whole = response.text(10);
    body.push(Buffer.from('ab'));
    body.push(Buffer.from('cd'));
    body.end();
    expect(await whole).toBe('abcd');
    const failing = new ResponseBody();
    const failed = new RampResponse(200, {}, failing).text(10);
    failing.push(Buffer.from('x'));
    failing.end(new Error('cut'));
    await expect(failed).rejects.toThrow('cut');
  });

  it('a body growing past its cap while read whole is dropped at once', async () => {
    const body = new ResponseBody();
    const whole = new RampResponse(200, {}, body).bytes(3);
    body.push(Buffer.from('ab'));
    body.push(Buffer.from('cd'));
    expect(await whole).toBeNull();
  });

  it('streams chunks already received first, then the rest; a cap fails the stream with BodyTooLargeError', async () => {
    const body = new ResponseBody();
    body.push(Buffer.from('ab'));
    const stream = new RampResponse(200, {}, body).stream(10);
    body.push(Buffer.from('cd'));
    body.end();
    expect((await buffer(stream)).toString()).toBe('abcd');

    const early = new ResponseBody();
    early.push(Buffer.from('abcdef'));
    await expect(buffer(new RampResponse(200, {}, early).stream(5))).rejects.toBeInstanceOf(BodyTooLargeError);

    const late = new ResponseBody();
    const lateStream = new RampResponse(200, {}, late).stream(5);
    const read = buffer(lateStream);
    late.push(Buffer.from('abc'));
    late.push(Buffer.from('def'));
    await expect(read).rejects.toBeInstanceOf(BodyTooLargeError);

    // Already whole and over the cap: the stream fails rather than never ending.
    await expect(buffer(RampResponse.of(200, 'abcdef').stream(5))).rejects.toBeInstanceOf(BodyTooLargeError);
    const ended = RampResponse.of(200, 'xyz');
    expect((await buffer(ended.stream())).toString()).toBe('xyz');
    const response = RampResponse.of(200, 'once');
    expect(response.stream()).toBe(response.stream());

    const failedBefore = new ResponseBody();
    failedBefore.end(new Error('reset'));
    await expect(buffer(new RampResponse(200, {}, failedBefore).stream())).rejects.toThrow('reset');
    const failedAfter = new ResponseBody();
    const failing = buffer(new RampResponse(200, {}, failedAfter).stream());
    failedAfter.end(new Error('reset later'));
    await expect(failing).rejects.toThrow('reset later');
  });

  it('ending twice keeps the first outcome; discarding ends an unfinished body', async () => {
    const body = new ResponseBody();
    body.push(Buffer.from('ok'));
    body.end();
    body.end(new Error('late'));
    expect(await new RampResponse(200, {}, body).text(10)).toBe('ok');
    const open = new ResponseBody();
    const response = new RampResponse(200, {}, open);
    response.discard();
    await expect(response.text(10)).rejects.toThrow('body discarded');
  });
});

describe('RampResponse over the wire', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow-big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write(Buffer.alloc(64 * 1024, 'a'));
        setImmediate(() => res.end(Buffer.alloc(64 * 1024, 'b')));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('fine');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('streams a large answer in full with backpressure, and a second answer on the same pool still works', async () => {
    const { dispatchTransport } = await import('../../src/ramp/transport.ts');
    const send = dispatchTransport();
    const response = await send({ method: 'GET', url: new URL(`${base}/slow-big`), headers: {} }, { timeoutMs: 10_000 });
    const bytes = await buffer(response.stream(1_000_000));
    expect(bytes.length).toBe(128 * 1024);
    expect(bytes[0]).toBe(97);
    expect(bytes.at(-1)).toBe(98);
    expect(await (await send({ method: 'GET', url: new URL(`${base}/x`), headers: {} }, { timeoutMs: 10_000 })).text(100)).toBe('fine');
  });
});

const info = (over: Partial<RampErrorInfo> = {}): RampErrorInfo => ({ status: 400, rampCode: null, message: null, traceId: null, missingScope: null, ...over });
const TOKEN = 'ramp_tok_abcdefghijklmnopqrstuvwxyz0123456789';
const ACCESS = { connectionId: 'c1', accessToken: TOKEN, apiBaseUrl: API, environment: 'sandbox' as const, expiresAt: 0 };

describe('Ramp error bodies', () => {
  it('scrubText: secrets of 8+ characters, token shapes and control characters go; long text is capped with an ellipsis', () => {
    expect(scrubText('key abcdefgh here', ['abcdefgh'])).toBe('key [REDACTED] here');
    expect(scrubText('key abcdefg here', ['abcdefg'])).toBe('key abcdefg here');
    expect(scrubText('x ramp_tok_A.b~c+d/e=f-g y')).toBe('x [REDACTED] y');
    expect(scrubText('x ramp_sec_1 ramp_secret_2 y')).toBe('x [REDACTED] [REDACTED] y');
    expect(scrubText('auth: Bearer   abc.def rest')).toBe('auth: [REDACTED] rest');
    expect(scrubText(`id ${'a'.repeat(39)} ok`)).toBe(`id ${'a'.repeat(39)} ok`);
    expect(scrubText(`id ${'a'.repeat(40)} ok`)).toBe('id [REDACTED] ok');
    expect(scrubText('  a\u0000\u0001b\nc\u007fd  ')).toBe('a b c d');
    expect(scrubText('x '.repeat(150))).toBe('x '.repeat(150).trim());
    expect(scrubText(`${'x '.repeat(149)}yz`)).toBe(`${'x '.repeat(149)}yz`);
    expect(scrubText(`${'x '.repeat(150)}y`)).toBe(`${'x '.repeat(150)}…`);
  });

  it('reads error_v2 first, then ramp_error_code, the legacy error object or string, and error_description', () => {
    expect(readRampError(400, JSON.stringify({ error_v2: { error_code: 'DEVELOPER_7001', message: 'bad' }, ramp_error_code: 'X', error: { message: 'legacy' } }), null))
      .toEqual({ status: 400, rampCode: 'DEVELOPER_7001', message: 'bad', traceId: null, missingScope: null });
    expect(readRampError(400, JSON.stringify({ error_v2: { error_code: 7, message: 8 }, ramp_error_code: 'RC', error: { message: 'legacy' } }), null)).toMatchObject({ rampCode: 'RC', message: 'legacy' });
    expect(readRampError(400, JSON.stringify({ error_v2: 'x', error: 'invalid_request', error_description: 'desc' }), null)).toMatchObject({ rampCode: 'invalid_request', message: 'desc' });
    expect(readRampError(400, JSON.stringify({ error: ['a'], error_description: 5 }), null)).toMatchObject({ rampCode: null, message: null });
    expect(readRampError(400, JSON.stringify({ error_v2: { error_code: 'A' }, error: 'B' }), null)).toMatchObject({ rampCode: 'A', message: null });
    expect(readRampError(400, JSON.stringify({ error_v2: { message: 'm' }, error: { message: 'legacy' }, error_description: 'd' }), null)).toMatchObject({ rampCode: null, message: 'm' });
    expect(readRampError(400, JSON.stringify({ error: { message: 'legacy' }, error_description: 'd' }), null)).toMatchObject({ message: 'legacy' });
    expect(readRampError(400, JSON.stringify([{ error: 'x' }]), null)).toMatchObject({ rampCode: null, message: null });
    expect(readRampError(400, JSON.stringify({ error_v2: ['DEVELOPER_7001'] }), null)).toMatchObject({ rampCode: null });
    expect(readRampError(404, '<html>not found</html>', null)).toEqual({ status: 404, rampCode: null, message: null, traceId: null, missingScope: null });
    expect(readRampError(500, '', null)).toMatchObject({ rampCode: null, message: null });
    expect(readRampError(500, 'null', null)).toMatchObject({ rampCode: null, message: null });
  });

  it('cleans what it keeps: code capped at 64, message scrubbed of the caller\'s secrets, trace id by its grammar', () => {
    const long = readRampError(400, JSON.stringify({ error_v2: { error_code: 'C.'.repeat(40), message: `token ${TOKEN} and s3cr3t-value!` } }), 'tr-1.A_b', ['s3cr3t-value!']);
    expect(long.rampCode).toBe('C.'.repeat(32));
    expect(long.message).toBe('token [REDACTED] and [REDACTED]');
    expect(long.traceId).toBe('tr-1.A_b');
    expect(readRampError(400, '{}', 'a b').traceId).toBeNull();
    expect(readRampError(400, '{}', 'x'.repeat(128)).traceId).toBe('x'.repeat(128));
    expect(readRampError(400, '{}', 'x'.repeat(129)).traceId).toBeNull();
    expect(readRampError(400, '{}', '').traceId).toBeNull();
    expect(readRampError(400, '{}', 'ok\nbad').traceId).toBeNull();
  });

  it('names the missing scope only for DEVELOPER_7100 with a message ending in scope:name', () => {
    const scope = (code: string, message: string) => readRampError(403, JSON.stringify({ error_v2: { error_code: code, message } }), null).missingScope;
    expect(scope('DEVELOPER_7100', 'not allowed for this token: bills:read')).toBe('bills:read');
    expect(scope('DEVELOPER_7100', 'not allowed for this token:`accounting:write` ')).toBe('accounting:write');
    expect(scope('DEVELOPER_7100', 'not allowed: bills:read, more')).toBeNull();
    expect(scope('DEVELOPER_7100', 'no scope named here')).toBeNull();
    expect(scope('DEVELOPER_7101', 'not allowed for this token: bills:read')).toBeNull();
    expect(readRampError(403, JSON.stringify({ error_v2: { error_code: 'DEVELOPER_7100' } }), null).missingScope).toBeNull();
  });

  it('isUnauthorized: 401, or DEVELOPER_7002 / 7028 whatever the status', () => {
    expect(isUnauthorized(info({ status: 401 }))).toBe(true);
    expect(isUnauthorized(info({ status: 404, rampCode: 'DEVELOPER_7002' }))).toBe(true);
    expect(isUnauthorized(info({ status: 400, rampCode: 'DEVELOPER_7028' }))).toBe(true);
    expect(isUnauthorized(info({ status: 403, rampCode: 'DEVELOPER_7100' }))).toBe(false);
    expect(isUnauthorized(info({ status: 404 }))).toBe(false);
  });

  it('isMissingScope: a 403 or Ramp\'s 7100 code', () => {
    expect(new RampAnswerError('ramp_error', undefined, info({ status: 403 })).isMissingScope).toBe(true);
    expect(new RampAnswerError('ramp_error', undefined, info({ status: 400, rampCode: 'DEVELOPER_7100' })).isMissingScope).toBe(true);
    expect(new RampAnswerError('ramp_error', undefined, info({ status: 400, rampCode: 'DEVELOPER_7001' })).isMissingScope).toBe(false);
  });

  it('maps final answers onto the catalogue, with Retry-After rounded up and at least 1 s', () => {
    const limited = apiErrorForRampAnswer(info({ status: 429 }), 1_001);
    expect([limited.code, limited.status, limited.headers]).toEqual(['ramp_rate_limited', 429, { 'retry-after': '2' }]);
    expect(apiErrorForRampAnswer(info({ status: 429 }), 0).headers).toEqual({ 'retry-after': '1' });
    expect(apiErrorForRampAnswer(info({ status: 429 })).headers).toEqual({ 'retry-after': '10' });
    expect(apiErrorForRampAnswer(info({ status: 429 })).ramp.status).toBe(429);
    expect(apiErrorForRampAnswer(info({ status: 504 })).code).toBe('ramp_timeout');
    const down = apiErrorForRampAnswer(info({ status: 503, rampCode: 'R1', message: 'down', traceId: 't9' }));
    expect([down.code, down.message]).toEqual(['ramp_unavailable', 'Ramp is unreachable or failing right now (Ramp answered 503 R1: down (x-trace-id t9)); nothing was saved. Try again in a minute.']);
    expect(apiErrorForRampAnswer(info({ status: 500 })).message).toBe('Ramp is unreachable or failing right now (Ramp answered 500); nothing was saved. Try again in a minute.');
    expect(apiErrorForRampAnswer(info({ status: 499 })).code).toBe('ramp_error');
    expect(apiErrorForRampAnswer(info({ status: 401 })).code).toBe('reauthorization_required');
    expect(apiErrorForRampAnswer(info({ status: 404, rampCode: 'DEVELOPER_7002' })).code).toBe('reauthorization_required');
    const plain = apiErrorForRampAnswer(info({ status: 422, rampCode: 'DEVELOPER_7001', message: 'bad field' }));
    expect([plain.code, plain.message]).toEqual(['ramp_error', 'Ramp answered 422 DEVELOPER_7001: bad field']);
    expect(apiErrorForRampAnswer(info({ status: 400 })).message).toBe('Ramp answered 400');
  });
});

/** The error an outcome carries, as the RampAnswerError errorOutcome makes. */
const errorOf = (outcome: CallOutcome<unknown>) => (outcome as { error: unknown }).error as RampAnswerError;

describe('call outcomes', () => {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => RampResponse.of(status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  const NOW = Date.parse('2026-11-26T10:00:00Z');

  it('5xx and 429 are retryable, with Retry-After when Ramp gave one; 401 unauthorized; other 4xx failed', async () => {
    expect(await errorOutcome(json(503, {}), ACCESS, NOW)).toEqual({ kind: 'retryable', error: expect.any(RampAnswerError), status: 503 });
    const limited = await errorOutcome(json(429, {}, { 'retry-after': '3' }), ACCESS, NOW);
    expect(limited).toMatchObject({ kind: 'retryable', status: 429, retryAfterMs: 3_000 });
    expect(errorOf(limited).headers).toEqual({ 'retry-after': '3' });
    expect(Object.keys(await errorOutcome(json(502, {}), ACCESS, NOW))).not.toContain('retryAfterMs');
    expect((await errorOutcome(json(401, {}), ACCESS, NOW)).kind).toBe('unauthorized');
    expect((await errorOutcome(json(404, { error_v2: { error_code: 'DEVELOPER_7002' } }), ACCESS, NOW)).kind).toBe('unauthorized');
    expect((await errorOutcome(json(400, {}), ACCESS, NOW)).kind).toBe('failed');
  });

  it('reads the trace id and scrubs the access token from the message', async () => {
    const outcome = await errorOutcome(json(400, { error_v2: { error_code: 'E', message: `bad ${TOKEN.slice(0, 20)}` } }, { 'x-trace-id': 'trace-7' }), { ...ACCESS, accessToken: TOKEN.slice(0, 20) }, NOW);
    const error = errorOf(outcome);
    expect(error.ramp).toMatchObject({ traceId: 'trace-7', message: 'bad [REDACTED]' });
  });

  it('reads at most 64 KiB of an error body (beyond that it is classified without its text)', async () => {
    const huge = JSON.stringify({ error_v2: { error_code: 'BIG', message: 'x'.repeat(MAX_ERROR_BODY_BYTES) } });
    const outcome = await errorOutcome(RampResponse.of(400, huge), ACCESS, NOW);
    expect(errorOf(outcome).ramp.rampCode).toBeNull();
    const fits = JSON.stringify({ error_v2: { error_code: 'FITS' } }).padEnd(MAX_ERROR_BODY_BYTES, ' ');
    expect(errorOf(await errorOutcome(RampResponse.of(400, fits), ACCESS, NOW)).ramp.rampCode).toBe('FITS');
  });

  it('jsonOutcome: parsed JSON, too large, or not JSON', async () => {
    expect(await jsonOutcome(json(200, { a: 1 }))).toEqual({ ok: true, value: { a: 1 } });
    const bad = await jsonOutcome(RampResponse.of(201, '{oops'));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && [bad.error.code, bad.error.message]).toEqual(['ramp_error', 'Ramp answered 201 with a body that is not JSON']);
    const big = await jsonOutcome(RampResponse.of(200, '[]', { 'content-length': String(17 * 1024 * 1024) }));
    expect(!big.ok && big.error.code).toBe('ramp_response_too_large');
  });

  it('redirectOutcome: failed, saying so, and the body is dropped', async () => {
    const body = new ResponseBody();
    const response = new RampResponse(302, { location: 'http://evil.example/' }, body);
    const outcome = redirectOutcome(response);
    expect(outcome.kind).toBe('failed');
    expect(outcome.kind === 'failed' && [outcome.error.code, outcome.error.message]).toEqual(['ramp_error', 'Ramp answered 302 with a redirect, which is not followed']);
    await expect(response.text(10)).rejects.toThrow('body discarded');
  });
});

/** A clock that only moves when someone sleeps on it or moves it; sleeps honour their signal. */
function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleeps,
    advance: (ms: number) => (now += ms),
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      now += ms;
    },
  };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('RollingWindowLimiter edges', () => {
  it('an answer exactly one window old has left it', async () => {
    const clock = fakeClock();
    const limiter = new RollingWindowLimiter({ limit: 1, windowMs: 1000 }, clock.now, clock.sleep);
    (await limiter.acquire())();
    clock.advance(1000);
    await limiter.acquire();
    expect(clock.sleeps).toEqual([]);
    expect(clock.now()).toBe(1000);
  });

  it('waits exactly until the oldest answer leaves the window (+1 ms), counting from the answer', async () => {
    const clock = fakeClock();
    const limiter = new RollingWindowLimiter({ limit: 2, windowMs: 1000 }, clock.now, clock.sleep);
    const first = await limiter.acquire();
    clock.advance(100);
    first(); // answered at 100
    clock.advance(200);
    (await limiter.acquire())(); // answered at 300
    clock.advance(50);
    first(); // a second call changes nothing
    await limiter.acquire();
    expect(clock.sleeps).toEqual([751]);
    expect(clock.now()).toBe(1101);
  });

  it('a waiter behind in-flight requests is woken by an answer, not by a timer', async () => {
    const clock = fakeClock();
    const limiter = new RollingWindowLimiter({ limit: 1, windowMs: 1000 }, clock.now, clock.sleep);
    const inFlight = await limiter.acquire();
    let admitted = false;
    const next = limiter.acquire().then((done) => {
      admitted = true;
      return done;
    });
    await settle();
    expect(admitted).toBe(false);
    expect(clock.sleeps).toEqual([]); // nothing answered yet: no timer to wait on
    clock.advance(10);
    inFlight();
    await next;
    expect(clock.sleeps).toEqual([1001]);
    expect(clock.now()).toBe(1011);
  });

  it('an aborted caller is refused at once or while waiting, and the line moves on without it', async () => {
    const clock = fakeClock();
    const limiter = new RollingWindowLimiter({ limit: 1, windowMs: 1000 }, clock.now, clock.sleep);
    const gone = new AbortController();
    gone.abort(new Error('caller gone'));
    await expect(limiter.acquire(gone.signal)).rejects.toThrow('caller gone');
    const inFlight = await limiter.acquire();
    const waiting = new AbortController();
    const refused = limiter.acquire(waiting.signal);
    const after = limiter.acquire();
    await settle();
    waiting.abort(new Error('left the line'));
    // (A waiter behind in-flight requests only notices its abort at the next answer.)
    inFlight();
    await expect(refused).rejects.toThrow('left the line');
    await after;
    expect(clock.now()).toBe(1001);
  });

  it('a lockout is waited out with the caller\'s signal, and holds even with the limit off', async () => {
    const clock = fakeClock();
    const off = new RollingWindowLimiter(false, clock.now, clock.sleep);
    expect(off.blockedUntil).toBe(0);
    off.blockUntil(2_500);
    expect(off.blockedUntil).toBe(2_500);
    off.blockUntil(2_000);
    expect(off.blockedUntil).toBe(2_500);
    await off.acquire();
    expect(clock.now()).toBe(2_500);
    off.blockUntil(3_000);
    const gone = new AbortController();
    const wait = off.acquire(gone.signal);
    gone.abort(new Error('stop'));
    await expect(wait).rejects.toThrow('stop');
    expect(clock.now()).toBe(2_500);
    off.blockUntil(2_600);
    expect(off.blockedUntil).toBe(3_000);
  });

  it('a registry keeps one limiter per connection, with its setting and clock', async () => {
    const clock = fakeClock();
    const registry = new LimiterRegistry({ limit: 1, windowMs: 500 }, clock.now, clock.sleep);
    expect(registry.for('a')).toBe(registry.for('a'));
    expect(registry.for('a')).not.toBe(registry.for('b'));
    (await registry.for('a').acquire())();
    (await registry.for('b').acquire())();
    expect(clock.now()).toBe(0);
    await registry.for('a').acquire();
    expect(clock.now()).toBe(501);
    expect(RAMP_RATE_LIMIT).toEqual({ limit: 180, windowMs: 10_000 });
    expect(Object.isFrozen(RAMP_RATE_LIMIT)).toBe(true);
  });
});

describe('proxy forwarder', () => {
  const proxyRequest = (over: Partial<ProxyRequest> = {}): ProxyRequest => ({ method: 'GET', target: { path: 'transactions', query: 'page_size=2' }, headers: {}, body: undefined, ...over });
  const process = (response: RampResponse, method = 'GET', maxBytes = 1_000) => processProxyResponse(response, ACCESS, 0, method, maxBytes);
  const bodyOf = async (answer: ProxyAnswer) => (answer.body === null ? null : Buffer.isBuffer(answer.body) ? answer.body.toString() : (await buffer(answer.body)).toString());

  it('forwards accept, content-type and idempotency-key only (non-empty strings), and a body only when there is one and the method may carry it', () => {
    const built = buildProxyRequest(ACCESS, proxyRequest({
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', 'idempotency-key': 'k1', authorization: 'Bearer caller', cookie: 'c=1', host: 'evil', 'x-business-id': 'b' },
      body: '{"a":1}',
    }));
    expect(built.method).toBe('POST');
    expect(built.url.href).toBe('https://api.ramp.com/developer/v1/transactions?page_size=2');
    expect(built.headers).toMatchObject({ accept: 'application/json', 'content-type': 'application/json', 'idempotency-key': 'k1', authorization: `Bearer ${TOKEN}` });
    expect(Object.keys(built.headers).sort()).toEqual(['accept', 'authorization', 'content-type', 'idempotency-key', 'user-agent']);
    expect(built.body).toBe('{"a":1}');
    const odd = buildProxyRequest(ACCESS, proxyRequest({ headers: { accept: ['a', 'b'], 'content-type': '' }, body: 'ignored' }));
    expect(Object.keys(odd.headers)).not.toContain('content-type');
    expect(odd.headers.accept).toBe('application/json');
    expect('body' in odd).toBe(false);
    expect('body' in buildProxyRequest(ACCESS, proxyRequest({ method: 'HEAD', body: 'x' }))).toBe(false);
    expect('body' in buildProxyRequest(ACCESS, proxyRequest({ method: 'DELETE', body: '' }))).toBe(false);
    expect('body' in buildProxyRequest(ACCESS, proxyRequest({ method: 'PATCH', body: undefined }))).toBe(false);
    expect(buildProxyRequest(ACCESS, proxyRequest({ method: 'PUT', body: 'x' })).body).toBe('x');
  });

  it('3xx is a failure that is not followed; a declared length over the cap is too large', async () => {
    for (const code of [300, 302, 399]) {
      const outcome = await process(RampResponse.of(code, '', { location: 'http://evil.example/' }));
      expect(outcome.kind === 'failed' && [outcome.error.code, outcome.error.message]).toEqual(['ramp_error', `Ramp answered ${code} with a redirect, which the proxy does not follow`]);
    }
    expect((await process(RampResponse.of(400, 'x'.repeat(10)))).kind).toBe('ok');
    expect((await process(RampResponse.of(200, 'ab', { 'content-length': '1001' }))).kind === 'failed').toBe(true);
    const exact = await process(RampResponse.of(200, 'x'.repeat(1_000), { 'content-length': '1000' }));
    expect(exact.kind).toBe('ok');
  });

  it('401 and 404: a rejected token is unauthorized (refresh and retry); a plain 404 passes through whole, without content-length', async () => {
    expect((await process(RampResponse.of(401, '{}'))).kind).toBe('unauthorized');
    expect((await process(RampResponse.of(404, JSON.stringify({ error_v2: { error_code: 'DEVELOPER_7002' } })))).kind).toBe('unauthorized');
    const plain = await process(RampResponse.of(404, '{"error_v2":{"error_code":"NOT_FOUND"}}', { 'content-type': 'application/json', 'content-length': '39', 'x-trace-id': 't1' }));
    expect(plain.kind).toBe('ok');
    const answer = (plain as { value: ProxyAnswer }).value;
    expect(answer.status).toBe(404);
    expect(answer.headers).toEqual({ 'content-type': 'application/json', 'x-trace-id': 't1' });
    expect(await bodyOf(answer)).toBe('{"error_v2":{"error_code":"NOT_FOUND"}}');
  });

  it('retryable answers carry status and Retry-After, and pass through as they are when given up', async () => {
    const limited = await process(RampResponse.of(429, 'slow down', { 'retry-after': '2', 'content-length': '9', 'x-other': 'no' }));
    expect(limited).toMatchObject({ kind: 'retryable', status: 429, retryAfterMs: 2_000 });
    const given = (limited as { giveUp: () => ProxyAnswer }).giveUp();
    expect(given.status).toBe(429);
    expect(given.headers).toEqual({ 'retry-after': '2', 'content-length': '9' });
    expect(await bodyOf(given)).toBe('slow down');
    const down = await process(RampResponse.of(503, 'down'));
    expect(Object.keys(down)).not.toContain('retryAfterMs');
    expect((down as { error: { code: string } }).error.code).toBe('ramp_unavailable');
    const headDown = await process(RampResponse.of(503, 'down'), 'HEAD');
    expect((headDown as { giveUp: () => ProxyAnswer }).giveUp().body).toBeNull();
    const dropped = new RampResponse(502, {}, new ResponseBody());
    const outcome = await process(dropped);
    (outcome as { discard: () => void }).discard();
    await expect(dropped.text(10)).rejects.toThrow('body discarded');
  });

  it('a small declared answer is read whole; a larger or undeclared one streams; HEAD has no body', async () => {
    const small = (await process(RampResponse.of(200, 'hello', { 'content-length': '5', etag: '"e"', 'set-cookie': 'no' }), 'GET', 1_000_000)) as { value: ProxyAnswer };
    expect(Buffer.isBuffer(small.value.body)).toBe(true);
    expect(small.value.headers).toEqual({ 'content-length': '5', etag: '"e"' });
    const at = 256 * 1024;
    const edge = (await process(RampResponse.of(200, 'y'.repeat(at), { 'content-length': String(at) }), 'GET', 1_000_000)) as { value: ProxyAnswer };
    expect(Buffer.isBuffer(edge.value.body)).toBe(true);
    const big = (await process(RampResponse.of(200, 'z'.repeat(at + 1), { 'content-length': String(at + 1) }), 'GET', 1_000_000)) as { value: ProxyAnswer };
    expect(Buffer.isBuffer(big.value.body)).toBe(false);
    expect((await bodyOf(big.value))!.length).toBe(at + 1);
    const undeclared = (await process(RampResponse.of(201, 'streamed'), 'POST')) as { value: ProxyAnswer };
    expect(undeclared.value.status).toBe(201);
    expect(Buffer.isBuffer(undeclared.value.body)).toBe(false);
    expect(await bodyOf(undeclared.value)).toBe('streamed');
    const head = (await process(RampResponse.of(200, '', { 'content-length': '5' }), 'HEAD')) as { value: ProxyAnswer };
    expect(head.value.body).toBeNull();
    expect(head.value.headers).toEqual({ 'content-length': '5' });
    const tooBig = RampResponse.of(200, 'abcdef');
    const streamed = (await process(tooBig, 'GET', 3)) as { value: ProxyAnswer };
    await expect(bodyOf(streamed.value)).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it('a small declared answer that turns out longer than the cap is too large', async () => {
    const body = new ResponseBody();
    const response = new RampResponse(200, { 'content-length': '3' }, body);
    const pending = process(response, 'GET', 4);
    body.push(Buffer.from('abcdef'));
    const outcome = await pending;
    expect(outcome.kind === 'failed' && outcome.error.code).toBe('ramp_response_too_large');
  });

  it('forwardToRamp retries GET and HEAD only, under the client\'s rules', async () => {
    let sent = 0;
    const transport: Transport = async () => {
      sent++;
      return RampResponse.of(503, 'busy');
    };
    const tokens = { getAccess: async () => ACCESS, assertConnected: async () => {}, refreshAfterUnauthorized: async () => ACCESS };
    const client = new RampClient(tokens, { transport, sleep: async () => {}, maxAttempts: 3, rateLimit: false });
    expect((await forwardToRamp(client, 'b', proxyRequest({ method: 'GET' }))).status).toBe(503);
    expect(sent).toBe(3);
    sent = 0;
    expect((await forwardToRamp(client, 'b', proxyRequest({ method: 'HEAD' }))).status).toBe(503);
    expect(sent).toBe(3);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      sent = 0;
      expect((await forwardToRamp(client, 'b', proxyRequest({ method, body: '{}' }))).status).toBe(503);
      expect(sent, method).toBe(1);
    }
    const capped: Transport = async () => RampResponse.of(200, 'x'.repeat(20));
    const small = new RampClient(tokens, { transport: capped, rateLimit: false });
    await expect(forwardToRamp(small, 'b', proxyRequest(), { maxBytes: 10 }).then((a) => bodyOf(a))).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(await bodyOf(await forwardToRamp(small, 'b', proxyRequest()))).toBe('x'.repeat(20));
  });
});

describe('proxy path', () => {
  const P = '/p/';
  it('splits path and query, drops one trailing slash, and bounds both', () => {
    expect(parseProxyTarget('/p/a/b/?x=1', P)).toEqual({ ok: true, path: 'a/b', query: 'x=1' });
    expect(parseProxyTarget('/p/a?', P)).toEqual({ ok: true, path: 'a', query: '' });
    expect(parseProxyTarget('/q/a', P)).toEqual({ ok: false, reason: 'prefix' });
    expect(parseProxyTarget('/p/', P)).toEqual({ ok: false, reason: 'length' });
    expect(parseProxyTarget(`/p/${'a'.repeat(512)}`, P)).toEqual({ ok: true, path: 'a'.repeat(512), query: '' });
    expect(parseProxyTarget(`/p/${'a'.repeat(513)}`, P)).toEqual({ ok: false, reason: 'length' });
    expect(parseProxyTarget('/p/a..b', P)).toEqual({ ok: false, reason: 'segment' });
    expect(parseProxyTarget('/p/.a', P)).toEqual({ ok: false, reason: 'segment' });
    expect(parseProxyTarget('/p/a.b~c_d-e', P)).toEqual({ ok: true, path: 'a.b~c_d-e', query: '' });
    expect(parseProxyTarget('/p/TOKEN/x', P)).toEqual({ ok: false, reason: 'oauth_endpoint' });
    expect(parseProxyTarget('/p/tokens', P)).toMatchObject({ ok: true });
    expect(parseProxyTarget(`/p/a?${'q'.repeat(4096)}`, P)).toMatchObject({ ok: true });
    expect(parseProxyTarget(`/p/a?${'q'.repeat(4097)}`, P)).toEqual({ ok: false, reason: 'query' });
    expect(parseProxyTarget('/p/a?x=%0A', P)).toEqual({ ok: false, reason: 'query' });
    expect(parseProxyTarget('/p/a?x=%0d', P)).toEqual({ ok: false, reason: 'query' });
    expect(parseProxyTarget('/p/a?x=#', P)).toEqual({ ok: false, reason: 'query' });
    expect(parseProxyTarget('/p/a?x="!$~', P)).toMatchObject({ ok: true });
    expect(parseProxyTarget('/p/a?x=%20', P)).toMatchObject({ ok: true });
  });

  it('builds the upstream URL with or without a query, and refuses one that escaped the base', () => {
    expect(proxyUpstreamUrl('https://api.ramp.com', { path: 'cards', query: '' }).href).toBe('https://api.ramp.com/developer/v1/cards');
    expect(proxyUpstreamUrl('https://api.ramp.com', { path: 'cards', query: 'a=1' }).href).toBe('https://api.ramp.com/developer/v1/cards?a=1');
    expect(() => proxyUpstreamUrl('https://api.ramp.com', { path: '../token', query: '' })).toThrow('proxy URL escaped the API base');
    expect(() => proxyUpstreamUrl('https://api.ramp.com', { path: 'a b', query: '' })).toThrow('proxy URL escaped the API base');
  });
});

describe('endpoints', () => {
  const json = (status: number, body: unknown) => RampResponse.of(status, JSON.stringify(body), { 'content-type': 'application/json' });
  const headers = { accept: 'application/json', authorization: `Bearer ${TOKEN}`, 'user-agent': USER_AGENT };

  it('list URLs carry only the filters that have a value', () => {
    expect(listUrl(ACCESS, 'transactions', { page_size: 100, state: 'ALL', from_date: '', user_id: undefined, is_terminated: false }).href)
      .toBe('https://api.ramp.com/developer/v1/transactions?page_size=100&state=ALL&is_terminated=false');
    expect(listUrl(ACCESS, 'cards', { card_id: null as unknown as string }).href).toBe('https://api.ramp.com/developer/v1/cards');
  });

  it('a page request stays under the API base, with our headers', () => {
    expect(buildPageRequest(ACCESS, 'https://api.ramp.com/developer/v1/cards?start=x')).toEqual({ method: 'GET', url: new URL('https://api.ramp.com/developer/v1/cards?start=x'), headers });
    expect(() => buildPageRequest(ACCESS, 'https://evil.example/developer/v1/cards')).toThrow("A Ramp page link points outside the connection's API base; it was not followed");
  });

  it('a page body: a data array of records with string ids, and a next link under the base or none', () => {
    const malformed = (body: unknown) => {
      const parsed = parsePageBody(body, ACCESS);
      return parsed.ok ? 'ok' : parsed.error.message;
    };
    expect(malformed(null)).toBe('Ramp returned a malformed page: no data array');
    expect(malformed([])).toBe('Ramp returned a malformed page: no data array');
    expect(malformed({ data: {} })).toBe('Ramp returned a malformed page: no data array');
    expect(malformed({ data: [null] })).toBe('Ramp returned a malformed page: a record has no id');
    expect(malformed({ data: [[]] })).toBe('Ramp returned a malformed page: a record has no id');
    expect(malformed({ data: [{ id: 1 }] })).toBe('Ramp returned a malformed page: a record has no id');
    expect(malformed({ data: [{ id: '' }] })).toBe('Ramp returned a malformed page: a record has no id');
    expect(malformed({ data: [{ id: 'a' }], page: { next: 'https://evil.example/developer/v1/x' } })).toBe("Ramp returned a next-page link outside the connection's API base; it was not followed");
    const next = (page: unknown) => {
      const parsed = parsePageBody({ data: [{ id: 'a' }], page }, ACCESS);
      return parsed.ok ? parsed.page.next : 'refused';
    };
    expect(next({ next: 'https://api.ramp.com/developer/v1/x?start=a' })).toBe('https://api.ramp.com/developer/v1/x?start=a');
    expect(next({ next: '' })).toBeNull();
    expect(next({ next: null })).toBeNull();
    expect(next({ next: 5 })).toBeNull();
    expect(next([])).toBeNull();
    expect(next(null)).toBeNull();
    expect(parsePageBody({ data: [{ id: 'a', x: 1 }] }, ACCESS)).toEqual({ ok: true, page: { records: [{ id: 'a', x: 1 }], next: null } });
  });

  it('page, business and accounting-sync answers: redirects fail, errors are classified, bodies parsed', async () => {
    for (const processor of [processPageResponse, processBusinessResponse, processAccountingSyncResponse] as const) {
      expect((await processor(RampResponse.of(301, ''), ACCESS, 0)).kind).toBe('failed');
      expect((await processor(RampResponse.of(399, ''), ACCESS, 0)).kind).toBe('failed');
      expect((await processor(json(503, {}), ACCESS, 0)).kind).toBe('retryable');
      expect((await processor(json(401, {}), ACCESS, 0)).kind).toBe('unauthorized');
      const bad = await processor(RampResponse.of(200, 'not json'), ACCESS, 0);
      expect(bad.kind === 'failed' && bad.error.message).toBe('Ramp answered 200 with a body that is not JSON');
    }
    expect((await processPageResponse(json(201, { data: [] }), ACCESS, 0)).kind).toBe('failed');
    expect((await processPageResponse(json(200, { data: [{}] }), ACCESS, 0)).kind).toBe('failed');
    expect(await processPageResponse(json(200, { data: [{ id: 'a' }], page: { next: null } }), ACCESS, 0)).toEqual({ kind: 'ok', value: { records: [{ id: 'a' }], next: null } });
    expect((await processBusinessResponse(json(201, { id: 'b' }), ACCESS, 0)).kind).toBe('failed');
    for (const body of [null, 'b', { id: 5 }]) {
      const outcome = await processBusinessResponse(json(200, body), ACCESS, 0);
      expect(outcome.kind === 'failed' && outcome.error.message, JSON.stringify(body)).toBe('Ramp returned a business without an id');
    }
    expect(buildBusinessRequest(ACCESS)).toEqual({ method: 'GET', url: new URL('https://api.ramp.com/developer/v1/business'), headers });
  });

  it('every 3xx, 300 to 399, is refused as a redirect (never followed); 400 is classified as an error', async () => {
    for (const processor of [processPageResponse, processBusinessResponse, processAccountingSyncResponse] as const) {
      for (const status of [300, 301, 399]) {
        const outcome = await processor(RampResponse.of(status, ''), ACCESS, 0);
        expect(outcome.kind === 'failed' && outcome.error.message).toBe(`Ramp answered ${status} with a redirect, which is not followed`);
      }
      const refused = await processor(json(400, {}), ACCESS, 0);
      expect(refused.kind === 'failed' && refused.error.message).not.toMatch(/redirect/);
    }
  });

  it('retryable statuses: 429 and 500 to 599, except 501 and 505', () => {
    expect([428, 429, 430, 499, 500, 501, 502, 505, 599, 600].filter(isRetryableStatus)).toEqual([429, 500, 502, 599]);
  });

  it('accounting syncs: a JSON POST; 200 and 201 accepted; 400/422 are the caller\'s input, with Ramp\'s message', async () => {
    const body = { idempotency_key: 'k', sync_type: 'TRANSACTION_SYNC', successful_syncs: [{ id: 'a', reference_id: 'r' }] };
    expect(buildAccountingSyncRequest(ACCESS, body)).toEqual({
      method: 'POST',
      url: new URL('https://api.ramp.com/developer/v1/accounting/syncs'),
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(await processAccountingSyncResponse(json(200, { ok: 1 }), ACCESS, 0)).toEqual({ kind: 'ok', value: { ok: 1 } });
    expect(await processAccountingSyncResponse(json(201, { ok: 2 }), ACCESS, 0)).toEqual({ kind: 'ok', value: { ok: 2 } });
    for (const status of [400, 422]) {
      const refused = await processAccountingSyncResponse(json(status, { error_v2: { error_code: 'InvalidInput', message: `unknown id, token ${TOKEN}` } }), ACCESS, 0);
      expect(refused.kind === 'failed' && [refused.error.code, refused.error.message]).toEqual(['invalid_request', 'Ramp refused the sync: unknown id, token [REDACTED]']);
    }
    const bare = await processAccountingSyncResponse(RampResponse.of(422, ''), ACCESS, 0);
    expect(bare.kind === 'failed' && bare.error.message).toBe('Ramp refused the sync');
    const other = await processAccountingSyncResponse(json(409, {}), ACCESS, 0);
    expect(other.kind === 'failed' && other.error.code).toBe('ramp_error');
    expect((await processAccountingSyncResponse(json(202, {}), ACCESS, 0)).kind).toBe('failed');
  });
});

describe('resource projections', () => {
  const project = (resource: string, record: Record<string, unknown>) => descriptorOf(resource).project(record);
  const EMPTY = { amount_cents: null, currency: null, occurred_at: 0, state: null, user_id: null, card_id: null, department_id: null, link_id: null, sync_status: null };
  const T = '2026-03-04T05:06:07Z';
  const MS = Date.parse(T);
  const T2 = '2026-05-06T00:00:00Z';
  const MS2 = Date.parse(T2);

  it('timeOf: date-times with or without a zone (UTC then), plain dates, and 0 for anything else', () => {
    expect(timeOf(T)).toBe(MS);
    expect(timeOf('2026-03-04T05:06:07z')).toBe(MS);
    expect(timeOf('2026-03-04T05:06:07')).toBe(MS);
    expect(timeOf('2026-03-04 05:06:07')).toBe(MS);
    expect(timeOf('2026-03-04T07:06:07+02:00')).toBe(MS);
    expect(timeOf('2026-03-04T00:06:07-0500')).toBe(MS);
    expect(timeOf('2026-03-04')).toBe(Date.parse('2026-03-04T00:00:00Z'));
    expect(timeOf('2026-03-0')).toBe(0);
    expect(timeOf('not a date!')).toBe(0);
    expect(timeOf(12345678901)).toBe(0);
    expect(timeOf(null)).toBe(0);
  });

  it('each resource projects its own fields, and nothing from a record without them', () => {
    const long = 'x'.repeat(80);
    expect(project('business', { created_time: T })).toEqual({ ...EMPTY, occurred_at: MS });
    for (const name of ['entities', 'departments', 'locations', 'spend-programs', 'merchants']) expect(project(name, { id: 'a', created_at: T, state: 'X' }), name).toEqual(EMPTY);
    expect(project('users', { id: long, status: long, department_id: 'd1' })).toEqual({ ...EMPTY, state: 'x'.repeat(32), user_id: 'x'.repeat(64), department_id: 'd1' });
    expect(project('users', { id: '', status: 5 })).toEqual(EMPTY);
    expect(project('limits', { created_at: T, state: 'ACTIVE' })).toEqual({ ...EMPTY, occurred_at: MS, state: 'ACTIVE' });
    expect(project('cards', { id: 'c1', created_at: T, state: 'ACTIVE', cardholder_id: 'u1' })).toEqual({ ...EMPTY, occurred_at: MS, state: 'ACTIVE', user_id: 'u1', card_id: 'c1' });
    expect(project('vendors', { created_at: T, is_active: false }).state).toBe('INACTIVE');
    expect(project('vendors', { is_active: true })).toEqual({ ...EMPTY, state: 'ACTIVE' });
    expect(project('vendors', { is_active: 'yes' }).state).toBeNull();
    expect(project('transactions', { amount: 12.34, currency_code: 'usd', user_transaction_time: T, state: 'CLEARED', card_id: 'c1', card_holder: { user_id: 'u1', department_id: 'd1' } }))
      .toEqual({ ...EMPTY, amount_cents: 1234, currency: 'USD', occurred_at: MS, state: 'CLEARED', user_id: 'u1', card_id: 'c1', department_id: 'd1' });
    expect(project('transactions', { card_holder: ['u1'] })).toEqual(EMPTY);
    expect(project('transactions', { card_holder: null, amount: 'lots' })).toEqual(EMPTY);
    expect(project('reimbursements', { amount: 5, currency: 'JPY', transaction_date: T, submitted_at: T2, state: 'PAID', user_id: 'u1' }))
      .toEqual({ ...EMPTY, amount_cents: 5, currency: 'JPY', occurred_at: MS, state: 'PAID', user_id: 'u1' });
    expect(project('reimbursements', { submitted_at: T2 }).occurred_at).toBe(MS2);
    expect(project('bills', { amount: { amount: 500, currency_code: 'USD' }, issued_at: T, created_at: T2, status: 'OPEN' })).toEqual({ ...EMPTY, amount_cents: 500, currency: 'USD', occurred_at: MS, state: 'OPEN' });
    expect(project('bills', { created_at: T2 }).occurred_at).toBe(MS2);
    expect(project('bill-payments', { amount: { amount: 7, currency_code: 'EUR' }, payment_date: T, effective_date: T2, payment_method: 'ACH' })).toEqual({ ...EMPTY, amount_cents: 7, currency: 'EUR', occurred_at: MS, state: 'ACH' });
    expect(project('bill-payments', { effective_date: T2 }).occurred_at).toBe(MS2);
    expect(project('transfers', { amount: { amount: 9, currency_code: 'USD' }, created_at: T, status: 'DONE' })).toEqual({ ...EMPTY, amount_cents: 9, currency: 'USD', occurred_at: MS, state: 'DONE' });
    expect(project('cashbacks', { amount: { amount: 3, currency_code: 'USD' }, created_at: T, sync_status: 'SYNCED' })).toEqual({ ...EMPTY, amount_cents: 3, currency: 'USD', occurred_at: MS, state: 'SYNCED', sync_status: 'SYNCED' });
    expect(project('statements', { ending_balance: { amount: 11, currency_code: 'USD' }, end_date: '2026-03-04' })).toEqual({ ...EMPTY, amount_cents: 11, currency: 'USD', occurred_at: Date.parse('2026-03-04T00:00:00Z') });
    expect(project('receipts', { created_at: T, user_id: 'u1', transaction_id: 't1' })).toEqual({ ...EMPTY, occurred_at: MS, user_id: 'u1', link_id: 't1' });
    expect(project('memos', { id: 't1' })).toEqual({ ...EMPTY, link_id: 't1' });
  });

  it('a bill payment is derived from a paid bill only, under the bill\'s id', () => {
    const derive = descriptorOf('bill-payments').derive!;
    expect(derive({ id: 'b1', status: 'PAID', vendor: { id: 'v' }, entity_id: 'e1', payment: { amount: { amount: 1 }, payment_date: T } }))
      .toEqual({ id: 'b1', bill_id: 'b1', bill_status: 'PAID', bill_sync_status: null, vendor: { id: 'v' }, entity_id: 'e1', amount: { amount: 1 }, payment_date: T });
    expect(derive({ id: 'b2', payment: {} })).toEqual({ id: 'b2', bill_id: 'b2', bill_status: null, bill_sync_status: null, vendor: null, entity_id: null });
    expect(derive({ id: 'b3', payment: null })).toBeNull();
    expect(derive({ id: 'b4' })).toBeNull();
    expect(derive({ id: 'b5', payment: 'x' })).toBeNull();
    expect(RAMP_RESOURCES.filter((d) => d.derive).map((d) => d.resource)).toEqual(['bill-payments']);
  });

  it('flags: defaults from the resources they turn on; scopes of the reference data plus each enabled flag\'s, once each', () => {
    expect(syncFlagDefaults()).toEqual({ sync_transactions: true, sync_reimbursements: true, sync_bills: true, sync_transfers: false, sync_cashbacks: false, sync_bill_payments: false, sync_statements: false });
    const reference = ['business:read', 'entities:read', 'departments:read', 'locations:read', 'users:read', 'spend_programs:read', 'limits:read', 'cards:read', 'merchants:read', 'vendors:read'];
    expect(scopesForFlags({})).toEqual(reference);
    expect(scopesForFlags({ sync_bills: true, sync_bill_payments: true, sync_transactions: false })).toEqual([...reference, 'bills:read']);
    expect(scopesForFlags({ sync_transactions: true })).toEqual([...reference, 'transactions:read', 'receipts:read', 'memos:read']);
    expect(() => descriptorOf('nope')).toThrow('unknown Ramp resource nope');
  });
});

describe('RampClient loop edges', () => {
  function setup(script: (RampResponse | Error)[], options: { maxAttempts?: number; deadlineMs?: number; timeoutMs?: number; rateLimit?: { limit: number; windowMs: number } | false } = {}) {
    let now = 1_000_000;
    const sleeps: number[] = [];
    const sent: { method: string; url: string; authorization: string | undefined; timeoutMs: number; signal: boolean }[] = [];
    const logs: { level: string; fields: Record<string, unknown>; message: string }[] = [];
    const log = {
      info: (fields: Record<string, unknown>, message: string) => logs.push({ level: 'info', fields, message }),
      warn: (fields: Record<string, unknown>, message: string) => logs.push({ level: 'warn', fields, message }),
    } as unknown as Logger;
    let token = 'tok-1';
    const refreshed: string[] = [];
    const tokens = {
      getAccess: async () => ({ ...ACCESS, accessToken: token }),
      assertConnected: async () => {},
      refreshAfterUnauthorized: async (_b: string, rejected: string) => {
        refreshed.push(rejected);
        token = 'tok-2';
        return { ...ACCESS, accessToken: token };
      },
    };
    const transport: Transport = async (request, sendOptions) => {
      sent.push({ method: request.method, url: request.url.href, authorization: request.headers.authorization, timeoutMs: sendOptions.timeoutMs, signal: sendOptions.signal !== undefined });
      const next = script.shift() ?? RampResponse.of(500, '{}');
      if (next instanceof Error) throw next;
      return next;
    };
    const client = new RampClient(tokens, {
      transport, log, now: () => now, random: () => 0.5, backoff: { baseMs: 100, capMs: 10_000 },
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
      ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    return { client, sleeps, sent, logs, refreshed, advance: (ms: number) => (now += ms), now: () => now };
  }
  const getCall: RampCall<string> = {
    method: 'GET',
    label: 'GET /x',
    build: (access) => ({ method: 'GET', url: new URL(`${API}/developer/v1/x`), headers: { authorization: `Bearer ${access.accessToken}` } }),
    process: async (response, access, nowMs) => (response.status === 200 ? { kind: 'ok', value: (await response.text(100))! } : errorOutcome(response, access, nowMs)),
  };

  it('defaults: 6 attempts, 30 s per attempt, and a 120 s deadline', async () => {
    const t = setup([]);
    await expect(t.client.call('b', getCall)).rejects.toMatchObject({ code: 'ramp_unavailable' });
    expect(t.sent).toHaveLength(6);
    expect(t.sent[0]!.timeoutMs).toBe(30_000);
    const late = setup([], { maxAttempts: 100 });
    await expect(late.client.call('b', getCall)).rejects.toMatchObject({ code: 'ramp_unavailable' });
    expect(late.now() - 1_000_000).toBeLessThan(120_000);
    expect(late.now() - 1_000_000 + 10_000).toBeGreaterThanOrEqual(120_000 - 10_000);
  });

  it('each attempt\'s timeout is the smaller of its own and what is left of the deadline (at least 1 ms), and the signal goes along', async () => {
    const t = setup([RampResponse.of(503, '{}'), RampResponse.of(200, 'ok')], { timeoutMs: 5_000, deadlineMs: 5_030 });
    expect(await t.client.call('b', getCall, { signal: new AbortController().signal })).toBe('ok');
    expect(t.sent.map((s) => s.timeoutMs)).toEqual([5_000, 4_980]);
    expect(t.sent.map((s) => s.signal)).toEqual([true, true]);
    const floor = setup([RampResponse.of(200, 'ok')], { deadlineMs: 0 });
    expect(await floor.client.call('b', getCall)).toBe('ok');
    expect(floor.sent[0]!.timeoutMs).toBe(1);
    expect(floor.sent[0]!.signal).toBe(false);
  });

  it('per-call options override the client\'s: attempts, timeout, deadline, and idempotency either way', async () => {
    const t = setup([]);
    await expect(t.client.call('b', getCall, { maxAttempts: 2, timeoutMs: 7 })).rejects.toMatchObject({ code: 'ramp_unavailable' });
    expect(t.sent.map((s) => s.timeoutMs)).toEqual([7, 7]);
    const once = setup([]);
    await expect(once.client.call('b', getCall, { idempotent: false })).rejects.toMatchObject({ code: 'ramp_unavailable' });
    expect(once.sent).toHaveLength(1);
    const post = setup([RampResponse.of(503, '{}'), RampResponse.of(200, 'ok')]);
    expect(await post.client.call('b', { ...getCall, method: 'POST' }, { idempotent: true })).toBe('ok');
    const short = setup([]);
    await expect(short.client.call('b', getCall, { deadlineMs: 1_000 })).rejects.toMatchObject({ code: 'ramp_unavailable' });
    expect(short.now() - 1_000_000).toBeLessThan(1_000);
  });

  it('logs a refresh once, and each failed attempt with its status, attempt, and the delay only when retrying', async () => {
    const t = setup([RampResponse.of(401, '{}'), RampResponse.of(503, '{}'), RampResponse.of(503, '{}')], { maxAttempts: 3 });
    await expect(t.client.call('b', getCall)).rejects.toMatchObject({ code: 'ramp_unavailable' });
    expect(t.refreshed).toEqual(['tok-1']);
    expect(t.sent.map((s) => s.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2', 'Bearer tok-2']);
    expect(t.logs).toEqual([
      { level: 'info', fields: { call: 'GET /x', connection_id: 'c1' }, message: 'Ramp rejected the access token; refreshing once' },
      { level: 'warn', fields: { call: 'GET /x', status: 503, attempt: 2, retry: true, delay_ms: 50 }, message: 'Ramp call failed' },
      { level: 'warn', fields: { call: 'GET /x', status: 503, attempt: 3, retry: false, delay_ms: undefined }, message: 'Ramp call failed' },
    ]);
    expect(t.sleeps).toEqual([50]);
  });

  it('a 429 locks the connection for Retry-After (or a whole window) plus 50 ms; a lockout past the deadline fails at once with Retry-After', async () => {
    const t = setup([RampResponse.of(429, '{}', { 'retry-after': '2' }), RampResponse.of(200, 'ok')]);
    expect(await t.client.call('b', getCall)).toBe('ok');
    expect(t.sleeps).toEqual([2_000, 50]);
    const windowed = setup([RampResponse.of(429, '{}'), RampResponse.of(200, 'ok')], { rateLimit: { limit: 100, windowMs: 4_000 } });
    expect(await windowed.client.call('b', getCall)).toBe('ok');
    expect(windowed.sleeps).toEqual([50, 4_000]);
    const off = setup([RampResponse.of(429, '{}'), RampResponse.of(200, 'ok')], { rateLimit: false });
    expect(await off.client.call('b', getCall)).toBe('ok');
    expect(off.sleeps).toEqual([50, 10_000]);
    const locked = setup([RampResponse.of(429, '{}', { 'retry-after': '30' })], { deadlineMs: 20_000, maxAttempts: 1 });
    await expect(locked.client.call('b', getCall)).rejects.toMatchObject({ code: 'ramp_rate_limited' });
    locked.advance(1_500);
    const error = await locked.client.call('b', getCall, { deadlineMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'ramp_rate_limited', headers: { 'retry-after': '29' } });
    expect(locked.sent).toHaveLength(1);
  });

  it('an error thrown while processing ends the call; a network error after the caller aborted rethrows the abort', async () => {
    const t = setup([RampResponse.of(200, 'x')]);
    const refusing: RampCall<string> = { ...getCall, process: async () => { throw new ApiError('ramp_error', 'bad answer'); } };
    await expect(t.client.call('b', refusing)).rejects.toMatchObject({ code: 'ramp_error', message: 'bad answer' });
    expect(t.sent).toHaveLength(1);
    const controller = new AbortController();
    const aborting = setup([]);
    const call: RampCall<string> = { ...getCall, build: (access) => { controller.abort(new Error('caller left')); return getCall.build(access); } };
    await expect(aborting.client.call('b', call, { signal: controller.signal })).rejects.toThrow('caller left');
    expect(aborting.sent).toHaveLength(1);
    const timeouts = setup([new TransportTimeoutError(), new TransportTimeoutError()], { maxAttempts: 2 });
    await expect(timeouts.client.call('b', getCall)).rejects.toMatchObject({ code: 'ramp_timeout' });
    const resets = setup([new Error('ECONNRESET to http://secret.example/?token=x')], { maxAttempts: 1 });
    const reset = await resets.client.call('b', getCall).catch((e: unknown) => e as ApiError);
    expect(reset).toMatchObject({ code: 'ramp_unavailable' });
    expect(String((reset as ApiError).message)).not.toContain('secret.example');
  });

  it('a non-idempotent call gives up with the outcome\'s own answer when it has one; a retried one discards the old body', async () => {
    let discarded = 0;
    let given = 0;
    const call: RampCall<string> = {
      ...getCall,
      method: 'POST',
      process: async (response) => ({ kind: 'retryable', error: new ApiError('ramp_unavailable'), status: response.status, giveUp: () => `gave up ${++given}`, discard: () => void discarded++ }),
    };
    const t = setup([RampResponse.of(503, '')]);
    expect(await t.client.call('b', call)).toBe('gave up 1');
    expect(discarded).toBe(0);
    const retried = setup([RampResponse.of(503, ''), RampResponse.of(503, '')], { maxAttempts: 2 });
    expect(await retried.client.call('b', { ...call, method: 'GET' })).toBe('gave up 2');
    expect(discarded).toBe(1);
    const unauthorized: RampCall<string> = { ...getCall, process: async () => ({ kind: 'unauthorized', error: new ApiError('reauthorization_required'), discard: () => void discarded++ }) };
    const twice = setup([RampResponse.of(401, ''), RampResponse.of(401, '')]);
    await expect(twice.client.call('b', unauthorized)).rejects.toMatchObject({ code: 'reauthorization_required' });
    expect(discarded).toBe(3);
  });

  it('pages, getBusiness and createAccountingSync go through the loop with their labels', async () => {
    const t = setup([
      RampResponse.of(200, JSON.stringify({ data: [{ id: 'a' }], page: { next: `${API}/developer/v1/transactions?start=a` } })),
      RampResponse.of(503, ''),
      RampResponse.of(200, JSON.stringify({ data: [{ id: 'b' }], page: { next: null } })),
      RampResponse.of(200, JSON.stringify({ id: 'biz' })),
      RampResponse.of(503, ''),
    ]);
    const seen: string[] = [];
    for await (const page of t.client.pages('b', { resource: 'transactions', params: { page_size: 2 } })) seen.push(...page.records.map((r) => r.id as string));
    expect(seen).toEqual(['a', 'b']);
    expect(t.sent.map((s) => s.url)).toEqual([`${API}/developer/v1/transactions?page_size=2`, `${API}/developer/v1/transactions?start=a`, `${API}/developer/v1/transactions?start=a`]);
    expect(t.logs.map((l) => l.fields.call)).toEqual(['GET page.next']);
    expect(await t.client.getBusiness('b')).toEqual({ id: 'biz' });
    await expect(t.client.createAccountingSync('b', { idempotency_key: 'k', sync_type: 'TRANSACTION_SYNC' })).rejects.toMatchObject({ code: 'ramp_unavailable' });
    expect(t.sent.at(-1)!.method).toBe('POST');
    expect(t.logs.at(-1)!.fields).toMatchObject({ call: 'POST /accounting/syncs', retry: false });
    const first = setup([RampResponse.of(503, ''), RampResponse.of(200, JSON.stringify({ data: [], page: { next: null } }))]);
    await first.client.fetchPage('b', { resource: 'cards', params: {} });
    expect(first.logs[0]!.fields.call).toBe('GET /cards');
    const business = setup([RampResponse.of(503, ''), RampResponse.of(200, JSON.stringify({ id: 'x' }))]);
    await business.client.getBusiness('b');
    expect(business.logs[0]!.fields.call).toBe('GET /business');
  });
});

describe('money edges', () => {
  it('decimal text: trimmed, either side of the point optional, exponent bounded, rounding below the minor unit', () => {
    expect(decimalToMinorUnits(' 12.34 ')).toBe(1234);
    expect(decimalToMinorUnits('12')).toBe(1200);
    expect(decimalToMinorUnits('.5')).toBe(50);
    expect(decimalToMinorUnits('5.')).toBe(500);
    expect(decimalToMinorUnits('.')).toBeUndefined();
    expect(decimalToMinorUnits('-')).toBeUndefined();
    expect(decimalToMinorUnits('0e398')).toBe(0);
    expect(decimalToMinorUnits('0e399')).toBeUndefined();
    expect(decimalToMinorUnits('0e500')).toBeUndefined();
    expect(decimalToMinorUnits('0e-500')).toBeUndefined();
    expect(decimalToMinorUnits('0.000123')).toBe(0);
    expect(decimalToMinorUnits('0.000523')).toBe(0);
    expect(decimalToMinorUnits('0.005')).toBe(1);
    expect(decimalToMinorUnits('0.004')).toBe(0);
    expect(decimalToMinorUnits('0.5', 0)).toBe(1);
    expect(decimalToMinorUnits('0.6', 0)).toBe(1);
    expect(decimalToMinorUnits('0.4', 0)).toBe(0);
    expect(decimalToMinorUnits('90071992547409.91')).toBe(9007199254740991);
    expect(decimalToMinorUnits('-90071992547409.91')).toBe(-9007199254740991);
    expect(decimalToMinorUnits('90071992547409.92')).toBeUndefined();
    expect(decimalToMinorUnits('-90071992547409.92')).toBeUndefined();
    expect(decimalToMinorUnits(Number.NaN)).toBeUndefined();
    expect(decimalToMinorUnits(Infinity)).toBeUndefined();
  });

  it('CurrencyAmount: an object with a safe integer amount; rescaled by a conversion rate other than the currency\'s, half away from zero', () => {
    expect(currencyAmountToMinorUnits([4000])).toBeUndefined();
    // currency_code is required in Ramp's CurrencyAmount: without a well-formed one there is no money, not USD.
    expect(currencyAmountToMinorUnits({ amount: 5 })).toBeUndefined();
    expect(currencyAmountToMinorUnits({ amount: 5, currency_code: 'USDX' })).toBeUndefined();
    expect(currencyAmountToMinorUnits({ amount: 5, currency_code: 'XUSD' })).toBeUndefined();
    expect(currencyAmountToMinorUnits({ amount: 5, currency_code: 'US' })).toBeUndefined();
    expect(currencyAmountToMinorUnits({ amount: 5, currency_code: null })).toBeUndefined();
    expect(currencyAmountToMinorUnits({ amount: 5, currency_code: 'eur' })).toEqual({ amount: 5, currency: 'EUR' });
    expect(currencyAmountToMinorUnits({ amount: 5, currency_code: 'USD', minor_unit_conversion_rate: 0 })).toEqual({ amount: 5, currency: 'USD' });
    expect(currencyAmountToMinorUnits({ amount: 5, currency_code: 'USD', minor_unit_conversion_rate: -100 })).toEqual({ amount: 5, currency: 'USD' });
    expect(currencyAmountToMinorUnits({ amount: 5, currency_code: 'USD', minor_unit_conversion_rate: 100 })).toEqual({ amount: 5, currency: 'USD' });
    const rescaled = (amount: number) => currencyAmountToMinorUnits({ amount, currency_code: 'USD', minor_unit_conversion_rate: 10_000 })?.amount;
    expect(rescaled(400_000)).toBe(4000);
    expect(rescaled(400_001)).toBe(4000);
    expect(rescaled(400_049)).toBe(4000);
    expect(rescaled(400_050)).toBe(4001);
    expect(rescaled(-400_049)).toBe(-4000);
    expect(rescaled(-400_050)).toBe(-4001);
    expect(currencyAmountToMinorUnits({ amount: Number.MAX_SAFE_INTEGER, currency_code: 'USD', minor_unit_conversion_rate: 1 })).toBeUndefined();
    expect(currencyAmountToMinorUnits({ amount: -Number.MAX_SAFE_INTEGER, currency_code: 'USD', minor_unit_conversion_rate: 1 })).toBeUndefined();
    expect(currencyAmountToMinorUnits({ amount: 1.5, currency_code: 'USD' })).toBeUndefined();
  });

  it('a legacy decimal with its code: anything but three letters is no money (its minor unit is unknown), never USD', () => {
    expect(decimalAmountToMinorUnits('1.5', 'USDX')).toBeUndefined();
    expect(decimalAmountToMinorUnits('1.5', 'XJPY')).toBeUndefined();
    expect(decimalAmountToMinorUnits('1500', 'jpy')).toEqual({ amount: 1500, currency: 'JPY' });
    expect(decimalAmountToMinorUnits('1.5', 'eur')).toEqual({ amount: 150, currency: 'EUR' });
    expect(decimalAmountToMinorUnits('1.5', undefined)).toBeUndefined();
    expect(decimalAmountToMinorUnits('1.5', '')).toBeUndefined();
    expect(decimalAmountToMinorUnits('x', 'USD')).toBeUndefined();
  });
});

describe('webhook subscription and object-by-id calls', () => {
  const json = (status: number, body: unknown) => RampResponse.of(status, JSON.stringify(body), { 'content-type': 'application/json' });
  const headers = { accept: 'application/json', authorization: `Bearer ${TOKEN}`, 'user-agent': USER_AGENT };
  const sub = { id: 'w1', business_id: 'b', endpoint_url: 'https://x.example/h', event_types: ['a'], status: 'enabled' };
  const message = (outcome: CallOutcome<unknown>) => (outcome.kind === 'ok' ? 'ok' : outcome.error.message);

  it('requests: method, URL under the base with the id encoded, our headers, a JSON body where there is one; labels without ids', () => {
    const create = createSubscriptionCall({ endpoint_url: 'https://x.example/h', event_types: ['a'] });
    expect([create.method, create.label]).toEqual(['POST', 'POST /webhooks']);
    expect(create.build(ACCESS)).toEqual({ method: 'POST', url: new URL(`${API}/developer/v1/webhooks`), headers: { ...headers, 'content-type': 'application/json' }, body: '{"endpoint_url":"https://x.example/h","event_types":["a"]}' });
    const get = getSubscriptionCall('a/b');
    expect([get.method, get.label]).toEqual(['GET', 'GET /webhooks/{id}']);
    expect(get.build(ACCESS)).toEqual({ method: 'GET', url: new URL(`${API}/developer/v1/webhooks/a%2Fb`), headers });
    const del = deleteSubscriptionCall('a/b');
    expect([del.method, del.label]).toEqual(['DELETE', 'DELETE /webhooks/{id}']);
    expect(del.build(ACCESS)).toEqual({ method: 'DELETE', url: new URL(`${API}/developer/v1/webhooks/a%2Fb`), headers });
    const verify = verifySubscriptionCall('a/b', 'ch');
    expect([verify.method, verify.label]).toEqual(['POST', 'POST /webhooks/{id}/verify']);
    expect(verify.build(ACCESS)).toEqual({ method: 'POST', url: new URL(`${API}/developer/v1/webhooks/a%2Fb/verify`), headers: { ...headers, 'content-type': 'application/json' }, body: '{"challenge":"ch"}' });
    const read = objectByIdCall('bills', 'a/b');
    expect([read.method, read.label]).toEqual(['GET', 'GET /bills/{id}']);
    expect(read.build(ACCESS)).toEqual({ method: 'GET', url: new URL(`${API}/developer/v1/bills/a%2Fb`), headers });
  });

  it('create: 200 or 201 with an id, a status and the secret; anything else is refused', async () => {
    const create = createSubscriptionCall({ endpoint_url: 'u', event_types: [] });
    for (const status of [200, 201]) expect(await create.process(json(status, { ...sub, secret: 's' }), ACCESS, 0)).toEqual({ kind: 'ok', value: { ...sub, secret: 's' } });
    for (const body of [sub, { ...sub, secret: 5 }, { ...sub, id: 5, secret: 's' }, { ...sub, status: null, secret: 's' }, null, 'x']) {
      expect(message(await create.process(json(200, body), ACCESS, 0)), JSON.stringify(body)).toBe('Ramp answered with an unexpected body');
    }
    expect(message(await create.process(json(202, { ...sub, secret: 's' }), ACCESS, 0))).not.toBe('ok');
    expect(message(await create.process(RampResponse.of(200, 'nope'), ACCESS, 0))).toBe('Ramp answered 200 with a body that is not JSON');
    expect(message(await create.process(json(404, {}), ACCESS, 0))).not.toBe('ok');
    for (const status of [300, 399]) expect(message(await create.process(RampResponse.of(status, ''), ACCESS, 0))).toBe(`Ramp answered ${status} with a redirect, which is not followed`);
    expect(message(await create.process(json(400, {}), ACCESS, 0))).not.toMatch(/redirect/);
    expect((await create.process(json(503, {}), ACCESS, 0)).kind).toBe('retryable');
  });

  it('get and object reads: 200 with an object, 404 is NOT_FOUND, other bodies and statuses are not', async () => {
    const get = getSubscriptionCall('w1');
    expect(await get.process(json(200, sub), ACCESS, 0)).toEqual({ kind: 'ok', value: sub });
    expect(await get.process(json(404, {}), ACCESS, 0)).toEqual({ kind: 'ok', value: NOT_FOUND });
    expect(message(await get.process(json(200, { id: 'w1' }), ACCESS, 0))).toBe('Ramp answered with an unexpected body');
    expect(message(await get.process(json(201, sub), ACCESS, 0))).not.toBe('ok');
    const read = objectByIdCall('bills', 'x');
    expect(await read.process(json(200, { id: 'x', a: 1 }), ACCESS, 0)).toEqual({ kind: 'ok', value: { id: 'x', a: 1 } });
    expect(await read.process(json(404, {}), ACCESS, 0)).toEqual({ kind: 'ok', value: NOT_FOUND });
    for (const body of [null, [], 'x', 5]) expect(message(await read.process(json(200, body), ACCESS, 0)), JSON.stringify(body)).toBe('Ramp answered with an unexpected body');
    expect((await read.process(json(401, {}), ACCESS, 0)).kind).toBe('unauthorized');
  });

  it('delete: 200, 204 and 404 all mean gone; verify: only 200 is done; redirects refused; errors classified', async () => {
    const del = deleteSubscriptionCall('w1');
    for (const status of [200, 204, 404]) expect(await del.process(RampResponse.of(status, ''), ACCESS, 0), String(status)).toEqual({ kind: 'ok', value: undefined });
    for (const status of [201, 400, 409]) expect((await del.process(json(status, {}), ACCESS, 0)).kind, String(status)).toBe('failed');
    expect((await del.process(json(503, {}), ACCESS, 0)).kind).toBe('retryable');
    const verify = verifySubscriptionCall('w1', 'c');
    expect(await verify.process(RampResponse.of(200, ''), ACCESS, 0)).toEqual({ kind: 'ok', value: undefined });
    for (const status of [300, 399]) expect(message(await verify.process(RampResponse.of(status, ''), ACCESS, 0))).toBe(`Ramp answered ${status} with a redirect, which is not followed`);
    for (const status of [201, 204, 400, 404]) expect(message(await verify.process(json(status, {}), ACCESS, 0)), String(status)).not.toMatch(/^ok$|redirect/);
  });
});

describe('accounting chart calls', () => {
  const json = (status: number, body: unknown, extra: Record<string, string> = {}) => RampResponse.of(status, JSON.stringify(body), { 'content-type': 'application/json', ...extra });
  const headers = { accept: 'application/json', authorization: `Bearer ${TOKEN}`, 'user-agent': USER_AGENT };
  const ID = '8f14e45f-ceea-467f-a8f2-5d9a0b6b4a1c';

  it('writes: label with the trailing id generalised, URL under accounting/, a JSON body only when given', () => {
    const post = chartWriteCall('POST', 'accounts', { a: 1 });
    expect([post.method, post.label]).toEqual(['POST', 'POST /accounting/accounts']);
    expect(post.build(ACCESS)).toEqual({ method: 'POST', url: new URL(`${API}/developer/v1/accounting/accounts`), headers: { ...headers, 'content-type': 'application/json' }, body: '{"a":1}' });
    const del = chartWriteCall('DELETE', `accounts/${ID.toUpperCase()}`);
    expect([del.method, del.label]).toEqual(['DELETE', 'DELETE /accounting/accounts/{id}']);
    expect(del.build(ACCESS)).toEqual({ method: 'DELETE', url: new URL(`${API}/developer/v1/accounting/accounts/${ID.toUpperCase()}`), headers });
    expect(chartWriteCall('PATCH', `accounts/${ID}/x`).label).toBe(`PATCH /accounting/accounts/${ID}/x`);
    expect(chartWriteCall('PATCH', `accounts/x${ID}`).label).toBe(`PATCH /accounting/accounts/x${ID}`);
  });

  it("answers: 204 and 200/201 JSON are done; 400/404/409/422 are Ramp's refusal with field errors; 401-shaped 404s are auth failures", async () => {
    const call = chartWriteCall('POST', 'accounts', {});
    expect(await call.process(RampResponse.of(204, ''), ACCESS, 0)).toEqual({ kind: 'ok', value: { ok: true, value: null } });
    for (const status of [200, 201]) expect(await call.process(json(status, { id: 'a' }), ACCESS, 0)).toEqual({ kind: 'ok', value: { ok: true, value: { id: 'a' } } });
    const bad = await call.process(RampResponse.of(200, 'nope'), ACCESS, 0);
    expect(bad.kind === 'failed' && bad.error.message).toBe('Ramp answered 200 with a body that is not JSON');
    for (const status of [300, 399]) {
      const r = await call.process(RampResponse.of(status, ''), ACCESS, 0);
      expect(r.kind === 'failed' && r.error.message).toBe(`Ramp answered ${status} with a redirect, which is not followed`);
    }
    const body = { error_v2: { error_code: 'DEVELOPER_9999', message: `bad ${TOKEN}`, additional_info: { name: ['too long', 5, `has ${TOKEN}`], code: 'x' } } };
    for (const status of [400, 404, 409, 422]) {
      expect(await call.process(json(status, body), ACCESS, 0), String(status)).toEqual({
        kind: 'ok',
        value: { ok: false, refusal: { status, rampCode: 'DEVELOPER_9999', message: 'bad [REDACTED]', fieldErrors: { name: ['too long', 'has [REDACTED]'] } } },
      });
    }
    for (const code of ['DEVELOPER_7002', 'DEVELOPER_7028']) {
      const auth = await call.process(json(404, { error_v2: { error_code: code } }, { 'x-trace-id': 't' }), ACCESS, 0);
      expect(auth.kind, code).toBe('unauthorized');
    }
    for (const status of [401, 403, 410, 500]) expect((await call.process(json(status, {}), ACCESS, 0)).kind, String(status)).not.toBe('ok');
    expect((await call.process(json(503, {}), ACCESS, 0)).kind).toBe('retryable');
  });

  it('field errors: only arrays of strings under error_v2.additional_info, names cut to 120 characters; anything else is none', () => {
    expect(readFieldErrors(JSON.stringify({ error_v2: { additional_info: { ['line.amount '.repeat(12)]: ['m'] } } }), [])).toEqual({ ['line.amount '.repeat(12).slice(0, 120)]: ['m'] });
    for (const text of ['not json', 'null', '[]', '{}', '{"error_v2":null}', '{"error_v2":[]}', '{"error_v2":{}}', '{"error_v2":{"additional_info":[]}}', '{"error_v2":{"additional_info":"x"}}']) {
      expect(readFieldErrors(text, []), text).toEqual({});
    }
  });

  it('the active accounting connection: 404 or inactive is none; fields defaulted; redirects and errors classified', async () => {
    const call = activeConnectionCall();
    expect([call.method, call.label]).toEqual(['GET', 'GET /accounting/connection']);
    expect(call.build(ACCESS)).toEqual({ method: 'GET', url: new URL(`${API}/developer/v1/accounting/connection`), headers });
    const full = { id: 'p', remote_provider_name: 'QBO', status: 'linked', is_active: true, created_at: 'c', last_linked_at: 'l' };
    expect(await call.process(json(200, full), ACCESS, 0)).toEqual({ kind: 'ok', value: full });
    expect(await call.process(json(200, { id: 'p' }), ACCESS, 0)).toEqual({ kind: 'ok', value: { id: 'p', remote_provider_name: null, status: 'unknown', is_active: true, created_at: null, last_linked_at: null } });
    expect(await call.process(json(200, { id: 'p', remote_provider_name: 1, status: 2, created_at: 3, last_linked_at: 4 }), ACCESS, 0)).toEqual({ kind: 'ok', value: { id: 'p', remote_provider_name: null, status: 'unknown', is_active: true, created_at: null, last_linked_at: null } });
    expect(await call.process(json(200, { ...full, is_active: false }), ACCESS, 0)).toEqual({ kind: 'ok', value: null });
    expect(await call.process(json(200, { ...full, is_active: 0 }), ACCESS, 0)).toEqual({ kind: 'ok', value: { ...full, is_active: true } });
    for (const body of [{ id: 5 }, null, [], 'x']) expect(await call.process(json(200, body), ACCESS, 0), JSON.stringify(body)).toEqual({ kind: 'ok', value: null });
    expect(await call.process(json(404, {}), ACCESS, 0)).toEqual({ kind: 'ok', value: null });
    for (const status of [300, 399]) {
      const r = await call.process(RampResponse.of(status, ''), ACCESS, 0);
      expect(r.kind === 'failed' && r.error.message).toBe(`Ramp answered ${status} with a redirect, which is not followed`);
    }
    const notJson = await call.process(RampResponse.of(200, 'nope'), ACCESS, 0);
    expect(notJson.kind === 'failed' && notJson.error.message).toBe('Ramp answered 200 with a body that is not JSON');
    for (const status of [201, 400]) expect((await call.process(json(status, full), ACCESS, 0)).kind, String(status)).toBe('failed');
    expect(providerFromAnswer(full)).toEqual(full);
    expect(providerFromAnswer({ ...full, is_active: false })).toEqual({ ...full, is_active: false });
  });
});
