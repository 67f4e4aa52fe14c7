/**
 * The proxy's ceiling: a bare Fastify route that forwards every GET to one upstream with one fixed
 * token over the same wire as ours (src/ramp/transport.ts) — no auth, no token lookup, no limiter,
 * no checks. What our proxy achieves beyond this is the price of being a service rather than a pipe.
 *
 *   bare-proxy.ts <port> <upstream base URL> <bearer token>
 */
import Fastify from 'fastify';
import { dispatchTransport } from '../../src/ramp/transport.ts';

const [port, upstream, token] = process.argv.slice(2) as [string, string, string];
const send = dispatchTransport();
const app = Fastify({ logger: false });
app.get('/*', async (request, reply) => {
  const answer = await send({ method: 'GET', url: new URL(`${upstream}${request.url}`), headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, { timeoutMs: 30_000 });
  const body = await answer.bytes(10 * 1024 * 1024);
  return reply.code(answer.status).header('content-type', answer.header('content-type') ?? 'application/json').send(body);
});
await app.listen({ port: Number(port), host: '127.0.0.1' });
