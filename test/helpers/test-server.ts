/**
 * @module A real server process-in-a-test: fresh database (either dialect), a Ramp emulator on loopback,
 * the full app listening on a free port, and every log line captured (the canary test greps them).
 */
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/config.ts';
import type { Dialect } from '../../src/db/database.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { startServer, type StartedServer } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from './test-db.ts';

/** A fixed test key ring (never used outside tests). */
export const TEST_ENCRYPTION_KEYS = `test1:${Buffer.alloc(32, 7).toString('base64')}`;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface TestServer {
  readonly url: string;
  readonly server: StartedServer;
  readonly emulator: RunningEmulator;
  readonly database: TestDatabase;
  readonly logs: string[];
  close(): Promise<void>;
}

export async function startTestServer(options: { dialect: Dialect; env?: Record<string, string>; emulator?: RunningEmulator; database?: TestDatabase } ): Promise<TestServer> {
  const port = await freePort();
  const emulator = options.emulator ?? (await startEmulator({ port: 0, defaultRedirectUris: [`http://127.0.0.1:${port}/api/v1/ramp/callback`] }));
  const database = options.database ?? (await createTestDatabase(options.dialect));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(chunk.toString());
      callback();
    },
  });
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    RAMP_ENV: 'emulator',
    RAMP_API_BASE_URL: emulator.url,
    RAMP_CLIENT_ID: emulator.defaultApp.client_id,
    RAMP_CLIENT_SECRET: emulator.defaultApp.client_secret,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    LOG_LEVEL: 'info',
    // Off unless a test is about Ramp webhooks (test/ramp-webhooks, the canary, key rotation): the
    // subscribe job's own Ramp calls would otherwise interleave with tests that count Ramp calls or
    // expire a token behind the token manager's back.
    RAMP_WEBHOOK_SUBSCRIBE: 'off',
    // Outbound webhooks go to receivers on loopback (emulator mode's default, said here for tests that change RAMP_ENV).
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    ...options.env,
  });
  const server = await startServer(config, { log: createLogger('info', sink) });
  return {
    url: server.url,
    server,
    emulator,
    database,
    logs,
    close: async () => {
      await server.close();
      if (!options.emulator) await emulator.close();
      if (!options.database) await database.drop();
    },
  };
}
