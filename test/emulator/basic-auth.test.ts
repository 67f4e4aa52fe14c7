/**
 * RFC 6749 §2.3.1 Basic client authentication: the emulator's decoder against arbitrary ids and
 * secrets (`:`, `+`, `%`, spaces, unicode), as a unit property and over HTTP, plus oauth4webapi's
 * encoder as an independent oracle.
 */
import fc from 'fast-check';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { formUrlEncode, parseBasicAuthorization } from '../../src/emulator/oauth/basic-auth.ts';
import { EmulatorClient, basicAuth, insecure } from './helpers.ts';

/** Characters that break naive Basic handling, mixed with arbitrary code points. */
const awkwardChar = fc.oneof(fc.constantFrom(':', '+', '%', ' ', '=', '&', '%41', '%zz', 'é', 'ß', '🙂', '中'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
const credential = fc.string({ unit: awkwardChar, minLength: 1, maxLength: 24 });

let emulator: RunningEmulator;
let client: EmulatorClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = new EmulatorClient(emulator);
});
afterAll(() => emulator.close());

describe('decoder (unit)', () => {
  it('round-trips any id and secret encoded per §2.3.1', () => {
    fc.assert(
      fc.property(credential, credential, (clientId, clientSecret) => {
        const header = `Basic ${Buffer.from(`${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`).toString('base64')}`;
        expect(parseBasicAuthorization(header)).toEqual({ clientId, clientSecret });
      }),
      { numRuns: 1000 },
    );
  });

  it('splits on the first colon and decodes + as space', () => {
    const header = `Basic ${Buffer.from('a%3Ab:c:d+e%2B').toString('base64')}`;
    expect(parseBasicAuthorization(header)).toEqual({ clientId: 'a:b', clientSecret: 'c:d e+' });
    expect(parseBasicAuthorization(header, 'raw')).toEqual({ clientId: 'a%3Ab', clientSecret: 'c:d+e%2B' });
  });

  it('malformed input is reported, never thrown', () => {
    fc.assert(
      fc.property(fc.string(), (junk) => {
        const result = parseBasicAuthorization(`Basic ${junk}`);
        expect(result === 'malformed' || typeof result === 'object').toBe(true);
      }),
    );
    expect(parseBasicAuthorization(`Basic ${Buffer.from('id:%E0%A4%A').toString('base64')}`)).toBe('malformed');
    expect(parseBasicAuthorization('Bearer x')).toBeNull();
    expect(parseBasicAuthorization(undefined)).toBeNull();
  });
});

describe('over HTTP', () => {
  it('apps with arbitrary ids/secrets authenticate with correctly encoded Basic credentials', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(credential, credential, async (idSuffix, clientSecret) => {
        const clientId = `ramp_id_${n++}_${idSuffix}`;
        const created = await client.createApp({ client_id: clientId, client_secret: clientSecret, grant_types: ['client_credentials'] });
        expect(created.client_id).toBe(clientId);
        const result = await client.tokenRequest(created, { grant_type: 'client_credentials', scope: 'business:read' }, { authorization: basicAuth(clientId, clientSecret) });
        expect(result.status).toBe(200);
      }),
      { numRuns: 60 },
    );
  });

  it('oauth4webapi ClientSecretBasic is accepted for ids and secrets with : + % space and unicode', async () => {
    for (const [clientId, clientSecret] of [['ramp_id:1+x', 's%ec:ret'], ['ramp id ünï', 'pa ss+wörd%20'], ['ramp_id_🙂', '::%%++']]) {
      await client.createApp({ client_id: clientId, client_secret: clientSecret });
      const as = client.authorizationServer('sandbox');
      const c = { client_id: clientId! };
      const response = await oauth.clientCredentialsGrantRequest(as, c, oauth.ClientSecretBasic(clientSecret!), { scope: 'business:read' }, insecure);
      expect((await oauth.processClientCredentialsResponse(as, c, response)).access_token).toMatch(/^ramp_tok_/);
    }
  });

  it('a client that skips the encoding fails on a secret containing + (and works in raw mode)', async () => {
    const app = await client.createApp({ client_id: 'ramp_id_plus', client_secret: 'a+b' });
    const naive = `Basic ${Buffer.from('ramp_id_plus:a+b').toString('base64')}`;
    const form = { grant_type: 'client_credentials', scope: 'business:read' };
    expect((await client.tokenRequest(app, form, { authorization: naive })).status).toBe(401);
    await client.faults({ basic_auth_decoding: 'raw' });
    expect((await client.tokenRequest(app, form, { authorization: naive })).status).toBe(200);
    await client.faults({ reset: true });
  });
});
