/**
 * The wire under the Ramp client against a real loopback HTTP server: bodies whole and streamed,
 * caps, aborts before and after the headers, redirects left alone, connections reused.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { BodyTooLargeError, RampResponse } from '../../src/ramp/ramp-response.ts';
import { TransportTimeoutError, dispatchTransport, type SendOptions } from '../../src/ramp/transport.ts';

const BIG = Buffer.alloc(3 * 1024 * 1024, 'x');
let server: Server;
let base: string;
const sockets = new Set<unknown>();
const received: { method: string; body: string; headers: IncomingMessage['headers'] }[] = [];

function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  received.push({ method: req.method!, body, headers: req.headers });
  const path = req.url!;
  if (path === '/json') return void res.writeHead(200, { 'content-type': 'application/json', 'x-trace-id': 't1' }).end('{"ok":true}');
  if (path === '/redirect') return void res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
  if (path === '/big') return void res.writeHead(200, { 'content-length': String(BIG.length) }).end(BIG);
  if (path === '/chunked') {
    // No content-length: the size is known only while reading.
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    for (let i = 0; i < 30; i++) res.write(BIG.subarray(0, 100 * 1024));
    return void res.end();
  }
  if (path === '/hang') return; // never answers
  if (path === '/stall') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return void res.write('partial'); // headers and a little body, then nothing
  }
  if (path === '/echo') return void res.writeHead(201, { 'content-type': 'text/plain' }).end(`${req.method} ${body}`);
  res.writeHead(404).end();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => route(req, res, body));
  });
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const aborted = (controller: AbortController, afterMs: number) => setTimeout(() => controller.abort(new Error('caller gone')), afterMs);
const send = dispatchTransport(new Agent({ keepAliveTimeout: 5_000 }));
const get = (path: string, options: SendOptions = { timeoutMs: 5_000 }) => send({ method: 'GET', url: new URL(`${base}${path}`), headers: { accept: 'application/json' } }, options);

describe('dispatch transport', () => {
  it('answers with status, lower-cased headers and the whole body, reusing the connection', async () => {
    sockets.clear();
    for (let i = 0; i < 20; i++) {
      const response = await get('/json');
      expect(response.status).toBe(200);
      expect(response.header('x-trace-id')).toBe('t1');
      expect(response.header('content-type')).toBe('application/json');
      expect(await response.text(1024)).toBe('{"ok":true}');
    }
    // Keep-alive: a second socket may open while the first is being released, never one per request.
    expect(sockets.size).toBeLessThanOrEqual(2);
  });

  it('sends the method, headers and body given', async () => {
    const response = await send({ method: 'POST', url: new URL(`${base}/echo`), headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' }, body: '{"a":1}' }, { timeoutMs: 5_000 });
    expect(response.status).toBe(201);
    expect(await response.text(1024)).toBe('POST {"a":1}');
    expect(received.at(-1)!.headers['idempotency-key']).toBe('k1');
  });

  it('never follows a redirect', async () => {
    const response = await get('/redirect');
    expect(response.status).toBe(302);
    expect(response.header('location')).toBe('http://127.0.0.1:1/elsewhere');
    response.discard();
  });

  it('refuses a body over the cap, declared or not', async () => {
    expect(await (await get('/big')).bytes(1024)).toBeNull();
    expect(await (await get('/chunked')).bytes(1024 * 1024)).toBeNull();
    expect((await (await get('/big')).bytes(BIG.length))!.equals(BIG)).toBe(true);
  });

  it('streams a large body intact, and cuts a stream at its cap', async () => {
    expect((await buffer((await get('/big')).stream())).equals(BIG)).toBe(true);
    expect((await buffer((await get('/chunked')).stream(4 * 1024 * 1024))).length).toBe(30 * 100 * 1024);
    await expect(buffer((await get('/chunked')).stream(1024 * 1024))).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it('aborts on the signal before the headers and while the body is read', async () => {
    // /hang never answers: only the timeout can end this call (the test's own timeout catches a miss).
    await expect(get('/hang', { timeoutMs: 200 })).rejects.toBeInstanceOf(TransportTimeoutError);
    const stalled = await get('/stall', { timeoutMs: 300 });
    expect(stalled.status).toBe(200);
    await expect(stalled.text(1024)).rejects.toBeInstanceOf(TransportTimeoutError);
    const gone = new AbortController();
    aborted(gone, 100);
    await expect(get('/hang', { timeoutMs: 5_000, signal: gone.signal })).rejects.toThrow('caller gone');
    const already = new AbortController();
    already.abort(new Error('caller gone'));
    await expect(get('/json', { timeoutMs: 5_000, signal: already.signal })).rejects.toThrow('caller gone');
  });

  it('rejects on a refused connection', async () => {
    await expect(send({ method: 'GET', url: new URL('http://127.0.0.1:1/x'), headers: {} }, { timeoutMs: 5_000 })).rejects.toBeInstanceOf(Error);
  });

  it('makes answers in memory for tests', async () => {
    const made = RampResponse.of(429, 'slow down', { 'Retry-After': '3' });
    expect(made.header('retry-after')).toBe('3');
    expect(await made.text(100)).toBe('slow down');
    expect(await RampResponse.of(200, 'x'.repeat(10)).bytes(5)).toBeNull();
  });
});
