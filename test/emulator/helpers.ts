/**
 * Shared helpers for the emulator conformance suite: real HTTP over loopback, global fetch.
 */
import * as oauth from 'oauth4webapi';
import type { RunningEmulator } from '../../src/emulator/index.ts';

export type Environment = 'sandbox' | 'production';

export function prefixOf(environment: Environment): string {
  return environment === 'sandbox' ? '/sandbox' : '';
}

/** RFC 6749 §2.3.1 encoding, written independently of the emulator's decoder. */
export function basicAuth(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`, 'utf8').toString('base64')}`;
}

export interface AppCredentials {
  client_id: string;
  client_secret: string;
  business_id: string;
  environment: Environment;
  redirect_uris: string[];
}

export class EmulatorClient {
  constructor(readonly emulator: RunningEmulator) {}

  get url(): string {
    return this.emulator.url;
  }

  async control<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.url}/__emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async createApp(input: Record<string, unknown> = {}): Promise<AppCredentials> {
    const { status, body } = await this.control<AppCredentials>('POST', '/apps', input);
    if (status !== 201) throw new Error(`createApp failed: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  async faults(input: Record<string, unknown>): Promise<any> {
    const { status, body } = await this.control('POST', '/faults', input);
    if (status !== 200) throw new Error(`faults failed: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  async stats(): Promise<any> {
    return (await this.control('GET', '/stats')).body;
  }

  tokenUrl(environment: Environment): string {
    return `${this.url}${prefixOf(environment)}/developer/v1/token`;
  }

  async tokenRequest(app: Pick<AppCredentials, 'client_id' | 'client_secret' | 'environment'>, form: Record<string, string>, init: { authorization?: string | null; contentType?: string; body?: string } = {}): Promise<{ status: number; headers: Headers; body: any }> {
    const headers: Record<string, string> = { 'content-type': init.contentType ?? 'application/x-www-form-urlencoded' };
    const authorization = init.authorization === undefined ? basicAuth(app.client_id, app.client_secret) : init.authorization;
    if (authorization !== null) headers.authorization = authorization;
    const response = await fetch(this.tokenUrl(app.environment), { method: 'POST', headers, body: init.body ?? new URLSearchParams(form).toString() });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  async clientCredentialsToken(app: Pick<AppCredentials, 'client_id' | 'client_secret' | 'environment'>, scope: string): Promise<string> {
    const { status, body } = await this.tokenRequest(app, { grant_type: 'client_credentials', scope });
    if (status !== 200) throw new Error(`client_credentials failed: ${status} ${JSON.stringify(body)}`);
    return body.access_token as string;
  }

  async api(environment: Environment, path: string, token: string | null, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any }> {
    const headers = new Headers(init.headers);
    if (token !== null) headers.set('authorization', `Bearer ${token}`);
    const target = path.startsWith('http') ? path : `${this.url}${prefixOf(environment)}/developer/v1${path}`;
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // HTML or padded bodies stay text
    }
    return { status: response.status, headers: response.headers, body };
  }

  /** Runs /v1/authorize with a preset consent and returns the redirect Location (or the response). */
  async authorize(environment: Environment, params: Record<string, string>): Promise<Response> {
    const url = new URL(`${this.url}${prefixOf(environment)}/v1/authorize`);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return fetch(url, { redirect: 'manual' });
  }

  /** The oauth4webapi view of one environment of this emulator. */
  authorizationServer(environment: Environment): oauth.AuthorizationServer {
    const base = `${this.url}${prefixOf(environment)}`;
    return {
      issuer: base,
      authorization_endpoint: `${base}/v1/authorize`,
      token_endpoint: `${base}/developer/v1/token`,
      revocation_endpoint: `${base}/developer/v1/token/revoke`,
    };
  }
}

export const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** Extracts Location query parameters from a redirect. */
export function redirectParams(response: Response): URLSearchParams {
  const location = response.headers.get('location');
  if (!location) throw new Error(`expected a redirect, got ${response.status}`);
  return new URL(location).searchParams;
}

export function sha256Hex(value: string): Promise<string> {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)).then((digest) => Buffer.from(digest).toString('hex'));
}
