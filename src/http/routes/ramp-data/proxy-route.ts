/**
 * @module `ANY /api/v1/ramp/proxy/{path}` (owner/admin): forwards to
 * `<connection API base>/developer/v1/{path}` with the connection's token (README.md#http-api; checks:
 * docs/guarantees.md#g36–#g38).
 *
 * The path is taken from the raw request line and checked before anything else happens (no token
 * is fetched for a refused path); see src/ramp/proxy-path.ts for the rules and
 * src/ramp/proxy-forwarder.ts for headers, redirects, retries and the size cap.
 */
import type { FastifyInstance } from 'fastify';
import type { RouteModule } from '../../app.ts';
import { authOf } from '../../auth.ts';
import { ApiError } from '../../../core/errors.ts';
import { BusinessHeaders } from '../../../core/schemas.ts';
import { parseProxyTarget } from '../../../ramp/proxy-path.ts';
import { DEFAULT_PROXY_MAX_BYTES, PROXY_METHODS, forwardToRamp, isProxyRead } from '../../../ramp/proxy-forwarder.ts';
import type { RampClient } from '../../../ramp/ramp-client.ts';

export const PROXY_PREFIX = '/api/v1/ramp/proxy/';

export interface ProxySettings {
  /** Per upstream attempt; Ramp itself gives up after 60 s (docs/ramp-behaviour.md#rate-limits). */
  readonly timeoutMs: number;
  /** The whole call including GET retries. */
  readonly deadlineMs: number;
  readonly maxBytes: number;
}

export const DEFAULT_PROXY_SETTINGS: ProxySettings = Object.freeze({ timeoutMs: 30_000, deadlineMs: 60_000, maxBytes: DEFAULT_PROXY_MAX_BYTES });

/** What a proxied read still in flight when the server closes is answered with. */
function shuttingDown(): ApiError {
  return new ApiError('service_unavailable', 'This server is shutting down; send the request again', { headers: { 'retry-after': '1', connection: 'close' } });
}

export function proxyRoute(client: RampClient, settings: ProxySettings = DEFAULT_PROXY_SETTINGS): RouteModule {
  return (app: FastifyInstance) => {
    // A read waiting on Ramp (or on the rate budget, or between retries) would hold the close for up to
    // `deadlineMs`, past a typical shutdown grace period: it is given up and answered 503 so the caller
    // retries elsewhere. A write runs on to Ramp's answer: given up, its outcome at Ramp would be unknown.
    const closing = new AbortController();
    app.addHook('preClose', async () => closing.abort(shuttingDown()));
    app.route({
      method: [...PROXY_METHODS],
      url: `${PROXY_PREFIX}*`,
      exposeHeadRoute: false,
      config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'ramp.proxy' },
      schema: { tags: ['ramp'], summary: 'Call the Ramp Developer API with the connection\'s token', headers: BusinessHeaders },
      handler: async (request, reply) => {
        const target = parseProxyTarget(request.raw.url ?? request.url, PROXY_PREFIX);
        if (!target.ok) throw new ApiError('invalid_proxy_path');
        const answer = await forwardToRamp(
          client,
          authOf(request).businessId,
          { method: request.method, target, headers: request.headers, body: request.rawBody },
          {
            timeoutMs: settings.timeoutMs,
            deadlineMs: settings.deadlineMs,
            maxBytes: settings.maxBytes,
            ...(isProxyRead(request.method) ? { signal: closing.signal } : {}),
          },
        );
        reply.code(answer.status).headers(answer.headers);
        // Answered while the server closes: the socket ends with this answer instead of idling on for
        // the keep-alive timeout, which the close would wait out (RFC 9112 §9.6).
        if (closing.signal.aborted) reply.header('connection', 'close');
        return answer.body === null ? reply.send() : reply.send(answer.body);
      },
    });
  };
}
