/**
 * What Fastify's router and Node's HTTP parser answer before any route runs keeps README's rule that
 * every 4xx is `{"detail", "code"}` from the catalogue: a path whose percent-encoding does not decode
 * (it was Fastify's `{"error","code":"FST_ERR_BAD_URL","message","statusCode"}`), a path parameter
 * over the router's 2048 characters, and bytes Node refuses as HTTP (it was `{"error","message":"Client
 * Error","statusCode"}`). Over real HTTP on the whole server; raw sockets where fetch cannot send it.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/core/errors.ts';
import { request } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const body = (code: keyof typeof ERRORS) => ({ detail: ERRORS[code].detail, code });

/** Writes `raw` and reads until the server closes the connection (it does after a client error). */
function rawExchange(url: string, raw: string): Promise<{ status: number; headers: string; body: unknown }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(raw));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', rest = ''] = text.split('\r\n\r\n', 2);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head, body: rest === '' ? undefined : (JSON.parse(rest) as unknown) });
    });
  });
}

describe('errors answered before any route', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ dialect: 'sqlite' });
  });
  afterAll(async () => t?.close());

  it('a path that does not percent-decode is a 400 invalid_url, on every method, with a request id', async () => {
    for (const path of ['/api/v1/ramp/%zz', '/api/v1/webhooks/%E0%A4%A', '/%', '/api/v1/ramp/transactions/%C0%AF']) {
      for (const method of ['GET', 'POST', 'DELETE', 'OPTIONS']) {
        const res = await request(`${t.url}${path}`, { method });
        expect(res.status, `${method} ${path}`).toBe(400);
        expect(res.body, `${method} ${path}`).toEqual(body('invalid_url'));
        expect(res.headers.get('x-request-id'), `${method} ${path}`).toBeTruthy();
      }
    }
    // HEAD: the status alone.
    expect((await request(`${t.url}/api/v1/ramp/%zz`, { method: 'HEAD' })).status).toBe(400);
    // A query that does not decode is not the router's business: the route still answers.
    expect((await request(`${t.url}/healthz?x=%zz`)).status).toBe(200);
  });

  it('a path parameter over 2048 characters is a 414 uri_too_long; 2048 still reaches the route', async () => {
    const long = await request(`${t.url}/api/v1/webhooks/${'a'.repeat(2049)}`, { method: 'DELETE' });
    expect(long.status).toBe(414);
    expect(long.body).toEqual(body('uri_too_long'));
    // At the limit the route runs: authentication first, so a 401.
    const atLimit = await request(`${t.url}/api/v1/webhooks/${'a'.repeat(2048)}`, { method: 'DELETE' });
    expect(atLimit.status).toBe(401);
    expect(atLimit.body.code).toBe('not_authenticated');
  });

  it("bytes Node's parser refuses are a 400 invalid_http_request; headers over Node's limit a 431", async () => {
    const bad = [
      'POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      'POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
      'GET /healthz HTTP/1.1\r\nHost: x\r\nNot A Header\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ];
    for (const raw of bad) {
      const res = await rawExchange(t.url, raw);
      expect(res.status, raw).toBe(400);
      expect(res.headers, raw).toMatch(/content-type: application\/json/i);
      expect(res.body, raw).toEqual(body('invalid_http_request'));
    }
    const huge = await rawExchange(t.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(32 * 1024)}\r\n\r\n`);
    expect(huge.status).toBe(431);
    expect(huge.body).toEqual(body('request_headers_too_large'));
    // The server still serves.
    expect((await request(`${t.url}/healthz`)).status).toBe(200);
  });
});
