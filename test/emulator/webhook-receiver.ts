/**
 * A real HTTP receiver on loopback for the emulator's webhook deliveries: records every request
 * and answers from a per-path script (a status, or `hang` to never answer), 200 once the script
 * runs out.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  raw: string;
  headers: IncomingHttpHeaders;
  body: any;
}

export type ScriptedAnswer = number | 'hang';

export class WebhookReceiver {
  readonly received: ReceivedRequest[] = [];
  readonly #scripts = new Map<string, ScriptedAnswer[]>();
  readonly #hanging: ServerResponse[] = [];
  #server!: Server;
  url = '';

  async start(): Promise<this> {
    this.#server = createServer((request, response) => {
      let raw = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (raw += chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        let body: unknown = undefined;
        try {
          body = JSON.parse(raw);
        } catch {
          // kept raw
        }
        this.received.push({ path, raw, headers: request.headers, body });
        const answer = this.#scripts.get(path)?.shift() ?? 200;
        if (answer === 'hang') return void this.#hanging.push(response);
        const headers: Record<string, string> = answer >= 300 && answer < 400 ? { location: 'http://127.0.0.1:9/elsewhere' } : {};
        response.writeHead(answer, { 'content-type': 'application/json', ...headers }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Answers for the next requests to `path`, in order. */
  script(path: string, answers: ScriptedAnswer[]): void {
    this.#scripts.set(path, [...answers]);
  }

  at(path: string): ReceivedRequest[] {
    return this.received.filter((request) => request.path === path);
  }

  events(path: string): ReceivedRequest[] {
    return this.at(path).filter((request) => request.body?.type !== 'webhooks.verification');
  }

  async close(): Promise<void> {
    for (const response of this.#hanging) response.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
