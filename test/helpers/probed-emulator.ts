/**
 * @module A Ramp emulator in the test process that also reports, per path prefix, the requests that
 * have arrived and those still open. With its `hang_ms` fault a test knows that a call is being held
 * at "Ramp" right now, and whether the client has given it up (closed the request) — the emulator's own
 * stats only count requests once they are answered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildEmulatorApp, emulatorStateOf, type RunningEmulator } from '../../src/emulator/index.ts';

export interface ProbedEmulator {
  readonly url: string;
  /** The shape `startTestServer({ emulator })` takes. */
  readonly running: RunningEmulator;
  /** Requests whose path (without the `/sandbox` prefix) starts with `prefix`: arrived, and still open. */
  requests(prefix: string): { readonly arrived: number; readonly open: number };
  close(): Promise<void>;
}

export async function startProbedEmulator(): Promise<ProbedEmulator> {
  const app = await buildEmulatorApp();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const seen: { path: string; open: boolean }[] = [];
  // Beside the emulator's own handler: fires when a request arrives, before any fault holds it.
  app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const entry = { path: (req.url ?? '').replace(/^\/sandbox/, ''), open: true };
    seen.push(entry);
    res.once('close', () => (entry.open = false));
  });
  const state = emulatorStateOf(app)!;
  const close = async () => {
    await app.close();
  };
  return {
    url,
    running: {
      url,
      defaultApp: {
        client_id: state.defaultApp.clientId,
        client_secret: state.defaultApp.clientSecret,
        redirect_uris: [...state.defaultApp.redirectUris],
        environment: state.defaultApp.environment as 'sandbox' | 'production',
        business_id: state.defaultApp.businessId,
      },
      demoBusinessId: state.demoBusinessId,
      close,
    },
    requests: (prefix) => {
      const matching = seen.filter((entry) => entry.path.startsWith(prefix));
      return { arrived: matching.length, open: matching.filter((entry) => entry.open).length };
    },
    close,
  };
}
