/**
 * Conformance: GET /v1/authorize and the HTML consent flow (RFC 6749 §4.1, RFC 7636, Ramp B2).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { EmulatorClient, redirectParams, type AppCredentials } from './helpers.ts';

const REDIRECT = 'https://client.example/callback?keep=1';
let emulator: RunningEmulator;
let client: EmulatorClient;
let app: AppCredentials;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = new EmulatorClient(emulator);
  app = await client.createApp({ redirect_uris: [REDIRECT], allowed_scopes: ['transactions:read', 'business:read'] });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  await client.control('DELETE', '/consent');
  await client.faults({ reset: true });
});

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'; // RFC 7636 Appendix B

function params(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const base: Record<string, string | undefined> = {
    response_type: 'code', client_id: app.client_id, redirect_uri: REDIRECT, scope: 'transactions:read', state: 'xyz-state', ...overrides,
  };
  return Object.fromEntries(Object.entries(base).filter(([, value]) => value !== undefined)) as Record<string, string>;
}

describe('requests that must not redirect (RFC 6749 §4.1.2.1)', () => {
  it.each([
    ['missing client_id', { client_id: undefined }],
    ['unknown client_id', { client_id: 'ramp_id_nope' }],
    ['unregistered redirect_uri', { redirect_uri: 'https://evil.example/callback' }],
    ['redirect_uri differing only by query', { redirect_uri: 'https://client.example/callback' }],
    ['missing redirect_uri', { redirect_uri: undefined }],
  ])('%s → HTML error page 400, no Location', async (_name, overrides) => {
    const response = await client.authorize('sandbox', params(overrides));
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('a sandbox app is unknown under the production prefix', async () => {
    await client.control('POST', '/consent', { decision: 'approve' });
    const response = await client.authorize('production', params());
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });
});

describe('errors reported by redirect', () => {
  it.each([
    ['scope outside the app', { scope: 'transactions:read users:read' }, 'invalid_scope'],
    ['missing scope', { scope: undefined }, 'invalid_request'],
    ['missing response_type', { response_type: undefined }, 'invalid_request'],
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
    ['PKCE plain', { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }, 'invalid_request'],
    ['PKCE challenge without method (defaults to plain)', { code_challenge: CHALLENGE }, 'invalid_request'],
    ['PKCE method without challenge', { code_challenge_method: 'S256' }, 'invalid_request'],
    ['malformed S256 challenge', { code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request'],
  ])('%s → error=%s with state echoed and the registered query kept', async (_name, overrides, error) => {
    const response = await client.authorize('sandbox', params(overrides));
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('https://client.example/callback');
    expect(location.searchParams.get('keep')).toBe('1');
    expect(location.searchParams.get('error')).toBe(error);
    expect(location.searchParams.get('error_description')).toBeTruthy();
    expect(location.searchParams.get('state')).toBe('xyz-state');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('missing state → invalid_request (Ramp requires state), unless the switch is off', async () => {
    const response = await client.authorize('sandbox', params({ state: undefined }));
    expect(redirectParams(response).get('error')).toBe('invalid_request');
    await client.faults({ require_state: false });
    await client.control('POST', '/consent', { decision: 'approve' });
    const allowed = await client.authorize('sandbox', params({ state: undefined }));
    expect(redirectParams(allowed).get('code')).toBeTruthy();
    expect(redirectParams(allowed).has('state')).toBe(false);
  });

  it('a repeated parameter → invalid_request (RFC 6749 §3.1)', async () => {
    const url = new URL(`${emulator.url}/sandbox/v1/authorize`);
    for (const [name, value] of Object.entries(params())) url.searchParams.set(name, value);
    url.searchParams.append('scope', 'business:read');
    const response = await fetch(url, { redirect: 'manual' });
    expect(redirectParams(response).get('error')).toBe('invalid_request');
  });

  it('an app without the authorization_code grant → unauthorized_client', async () => {
    const ccOnly = await client.createApp({ redirect_uris: [REDIRECT], grant_types: ['client_credentials'] });
    const response = await client.authorize('sandbox', params({ client_id: ccOnly.client_id }));
    expect(redirectParams(response).get('error')).toBe('unauthorized_client');
  });
});

describe('preset consent decisions', () => {
  it('approve → code + state; the decision is consumed by one authorization', async () => {
    await client.control('POST', '/consent', { decision: 'approve' });
    const first = await client.authorize('sandbox', params({ code_challenge: CHALLENGE, code_challenge_method: 'S256' }));
    expect(first.status).toBe(302);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const query = redirectParams(first);
    expect(query.get('code')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(query.get('state')).toBe('xyz-state');
    const second = await client.authorize('sandbox', params());
    expect(second.status).toBe(200); // no preset left → the consent page
    expect(second.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('deny → access_denied with description and state', async () => {
    await client.control('POST', '/consent', { decision: 'deny' });
    const query = redirectParams(await client.authorize('sandbox', params()));
    expect(query.get('error')).toBe('access_denied');
    expect(query.get('error_description')).toBe('User denied authorization request');
    expect(query.get('state')).toBe('xyz-state');
  });

  it('role member → 403 page "Business not authorized to use this application", no redirect', async () => {
    await client.control('POST', '/consent', { decision: 'approve', role: 'member' });
    const response = await client.authorize('sandbox', params());
    expect(response.status).toBe(403);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('Business not authorized to use this application');
  });

  it('sticky decisions answer every authorization until cleared', async () => {
    await client.control('POST', '/consent', { decision: 'approve', sticky: true });
    for (let i = 0; i < 3; i++) expect(redirectParams(await client.authorize('sandbox', params())).get('code')).toBeTruthy();
    await client.control('DELETE', '/consent');
    expect((await client.authorize('sandbox', params())).status).toBe(200);
  });

  it('rejects an invalid consent body', async () => {
    expect((await client.control('POST', '/consent', { decision: 'maybe' })).status).toBe(400);
    expect((await client.control('POST', '/consent', { decision: 'approve', rol: 'admin' })).status).toBe(400);
  });
});

describe('HTML consent page (no preset)', () => {
  async function openConsentPage(): Promise<{ html: string; requestId: string; action: string }> {
    const response = await client.authorize('sandbox', params());
    expect(response.status).toBe(200);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const html = await response.text();
    const requestId = /name="request_id" value="([^"]+)"/.exec(html)![1]!;
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!;
    return { html, requestId, action };
  }

  it('is a labelled, keyboard-usable form with Allow and Deny buttons', async () => {
    const { html, action } = await openConsentPage();
    expect(html).toMatch(/<html lang="en">/);
    expect(html).toMatch(/<button type="submit" name="decision" value="approve"[^>]*>Allow<\/button>/);
    expect(html).toMatch(/<button type="submit" name="decision" value="deny"[^>]*>Deny<\/button>/);
    expect(html).toMatch(/<label for="business_id">/);
    expect(action).toBe('/sandbox/v1/authorize/decision');
    expect(html).not.toMatch(/<script/);
  });

  async function decide(requestId: string, decision: string, extra: Record<string, string> = {}): Promise<Response> {
    return fetch(`${emulator.url}/sandbox/v1/authorize/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request_id: requestId, decision, ...extra }).toString(),
      redirect: 'manual',
    });
  }

  it('Allow → redirect with a code; the request id is single use', async () => {
    const { requestId } = await openConsentPage();
    const response = await decide(requestId, 'approve');
    expect(response.status).toBe(302);
    expect(redirectParams(response).get('code')).toBeTruthy();
    expect(redirectParams(response).get('state')).toBe('xyz-state');
    const replay = await decide(requestId, 'approve');
    expect(replay.status).toBe(400);
    expect(replay.headers.get('location')).toBeNull();
  });

  it('Deny → access_denied; member role → 403', async () => {
    const denied = await decide((await openConsentPage()).requestId, 'deny');
    expect(redirectParams(denied).get('error')).toBe('access_denied');
    const member = await decide((await openConsentPage()).requestId, 'approve', { role: 'member' });
    expect(member.status).toBe(403);
  });

  it('escapes untrusted text', async () => {
    const hostile = await client.createApp({ redirect_uris: [REDIRECT], name: '<img src=x onerror=alert(1)>' });
    const response = await client.authorize('sandbox', params({ client_id: hostile.client_id }));
    const html = await response.text();
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
