/**
 * @module Test harness for events and webhooks: a loopback webhook receiver that records every request
 * and answers as told (status, hang), and the events feature on a fresh database (either dialect) with
 * every log line captured.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/app-context.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Db, Dialect } from '../../src/db/database.ts';
import { eventsFeature, type EventsFeature, type EventsFeatureDeps } from '../../src/http/routes/webhooks/feature.ts';
import { buildApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { parseKeyRing, staticKeyRing } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { openTestDb, type TestDatabase } from '../helpers/test-db.ts';
import { TEST_ENCRYPTION_KEYS } from '../helpers/test-server.ts';

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly eventId: string;
  readonly at: number;
}

/** What the receiver does with a request: answer with a status, or never answer. */
export type Reply = number | 'hang';

export interface Receiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Decides each reply; default 200. */
  reply: (request: ReceivedRequest, index: number) => Reply;
  /** Requests left hanging so far. */
  readonly hanging: number;
  hitsByEvent(): Map<string, number>;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const held: ServerResponse[] = [];
  const receiver = {
    url: '',
    requests,
    reply: (() => 200) as Receiver['reply'],
    get hanging() {
      return held.filter((r) => !r.writableEnded && !r.destroyed).length;
    },
    hitsByEvent() {
      const hits = new Map<string, number>();
      for (const r of requests) hits.set(r.eventId, (hits.get(r.eventId) ?? 0) + 1);
      return hits;
    },
    async waitFor(count: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > deadline) throw new Error(`receiver got ${requests.length} of ${count} requests`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = {
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        eventId: String(req.headers['x-ramp-connect-event-id'] ?? ''),
        at: Date.now(),
      };
      requests.push(received);
      const reply = receiver.reply(received, requests.length - 1);
      if (reply === 'hang') {
        held.push(res);
        return;
      }
      res.writeHead(reply, reply >= 300 && reply < 400 ? { location: 'http://127.0.0.1:9/elsewhere' } : {});
      res.end(reply >= 400 ? 'receiver says no: RECEIVER_BODY_CANARY' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  receiver.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

export const testVault = () => new Vault(staticKeyRing(parseKeyRing(TEST_ENCRYPTION_KEYS)));

export interface EventsHarness {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly db: Db;
  readonly ctx: AppContext;
  readonly database: TestDatabase;
  readonly feature: EventsFeature;
  readonly vault: Vault;
  readonly logs: string[];
  close(): Promise<void>;
}

/**
 * The events feature's routes on the foundation app, over a fresh migrated database. The worker is not
 * started. Webhooks to private addresses are allowed (the receivers are on loopback) unless `env` says
 * `WEBHOOK_ALLOW_PRIVATE_URLS: 'false'`.
 */
export async function startEventsApp(dialect: Dialect, options: Omit<EventsFeatureDeps, 'ctx' | 'vault'> & { env?: Record<string, string> } = {}): Promise<EventsHarness> {
  const { env, ...deps } = options;
  const { db, test, cleanup } = await openTestDb(dialect);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(chunk.toString());
      callback();
    },
  });
  const closers: (() => Promise<void> | void)[] = [];
  const ctx: AppContext = {
    config: loadConfig({ RAMP_ENV: 'sandbox', WEBHOOK_ALLOW_PRIVATE_URLS: 'true', ...env }),
    db,
    log: createLogger('debug', sink),
    now: Date.now,
    onClose: (fn) => closers.push(fn),
  };
  const vault = testVault();
  const feature = eventsFeature({ ctx, vault, ...deps });
  const app = await buildApp(ctx, feature.routes);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    app,
    db,
    ctx,
    database: test,
    feature,
    vault,
    logs,
    close: async () => {
      for (const fn of closers.splice(0).reverse()) await fn();
      await app.close();
      await cleanup();
    },
  };
}
