/**
 * Conformance: Ramp's webhook subscription API in the emulator (`/developer/v1/webhooks…`), the
 * challenge round trip, signed deliveries of emitted events and Ramp's delivery rules, with a
 * real receiver on loopback. Schedules are scaled down through `/__emulator/ramp-webhooks/config`.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { EmulatorClient, type AppCredentials, type Environment } from './helpers.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

let emulator: RunningEmulator;
let client: EmulatorClient;
let receiver: WebhookReceiver;
let app: AppCredentials;
let token: string;
const OTHER_BUSINESS = '2d3e4f50-6172-4839-9a0b-1c2d3e4f5a6b';
const ALL_READ = 'transactions:read reimbursements:read bills:read purchase_orders:read business:read';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TERMINAL = ['delivered', 'dropped', 'gave_up', 'cancelled'];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = new EmulatorClient(emulator);
  receiver = await new WebhookReceiver().start();
});
afterAll(async () => {
  await emulator.close();
  await receiver.close();
});

beforeEach(async () => {
  await client.control('POST', '/reset');
  await client.faults({ rate_limit: false });
  await config({ base_delay_ms: 1, jitter: false });
  app = { ...emulator.defaultApp, environment: 'sandbox' };
  token = await client.clientCredentialsToken(app, ALL_READ);
});

async function config(patch: Record<string, unknown>): Promise<any> {
  const { status, body } = await client.control('POST', '/ramp-webhooks/config', patch);
  expect(status).toBe(200);
  return body;
}

function hooks(method: string, path: string, json?: unknown, bearer: string | null = token, environment: Environment = 'sandbox') {
  return client.api(environment, `/webhooks${path}`, bearer, json === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) });
}

async function subscribe(path: string, eventTypes: string[], extra: Record<string, unknown> = {}, bearer = token): Promise<any> {
  const response = await hooks('POST', '', { endpoint_url: `${receiver.url}${path}`, event_types: eventTypes, ...extra }, bearer);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

async function challengeAt(path: string): Promise<any> {
  await expect.poll(() => receiver.at(path).filter((r) => r.body?.type === 'webhooks.verification').length, { timeout: 10_000 }).toBeGreaterThan(0);
  return receiver.at(path).find((r) => r.body?.type === 'webhooks.verification')!;
}

/** Subscribes and answers the challenge like a subscriber would. */
async function verifiedSubscription(path: string, eventTypes: string[], extra: Record<string, unknown> = {}, bearer = token): Promise<any> {
  const subscription = await subscribe(path, eventTypes, extra, bearer);
  const challenge = await challengeAt(path);
  const verified = await hooks('POST', `/${subscription.id}/verify`, { challenge: challenge.body.challenge }, bearer);
  expect(verified.status).toBe(200);
  return subscription;
}

async function mutate(body: Record<string, unknown>): Promise<{ ids: string[]; events: { type: string; object_id: string }[] }> {
  const { status, body: result } = await client.control('POST', '/mutate', body);
  expect(status).toBe(200);
  return result;
}

async function deliveries(query: string): Promise<any[]> {
  return (await client.control('GET', `/ramp-webhooks/deliveries?${query}`)).body.deliveries;
}

async function attempts(query: string): Promise<any[]> {
  return (await client.control('GET', `/ramp-webhooks/attempts?${query}`)).body.attempts;
}

/** Waits until every delivery of the subscription has finished, and returns them. */
async function settled(subscriptionId: string, count: number): Promise<any[]> {
  await expect
    .poll(async () => (await deliveries(`subscription_id=${subscriptionId}&kind=event`)).filter((d) => TERMINAL.includes(d.outcome)).length, { timeout: 15_000 })
    .toBe(count);
  return deliveries(`subscription_id=${subscriptionId}&kind=event`);
}

function sign(raw: string, secret: string): string {
  return createHmac('sha256', secret).update(raw, 'utf8').digest('hex');
}

describe('subscription API', () => {
  it('creates (secret shown once), lists, reads and deletes, with the schema fields', async () => {
    const created = await hooks('POST', '', { endpoint_url: `${receiver.url}/crud`, event_types: ['transactions.cleared', 'transactions.cleared', 'bills.paid'], additional_headers: { 'X-Tenant': 't-1' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(UUID),
      business_id: emulator.demoBusinessId,
      endpoint_url: `${receiver.url}/crud`,
      event_types: ['transactions.cleared', 'bills.paid'],
      status: 'pending_verification',
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
      additional_headers: { 'X-Tenant': 't-1' },
      secret: expect.stringMatching(/^ramp_sec_[A-Za-z0-9_-]{40,}$/),
    });
    const { secret, additional_headers: _headers, ...resource } = created.body;
    const list = await hooks('GET', '');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([resource]);
    const one = await hooks('GET', `/${created.body.id}`);
    expect(one.body).toEqual(resource);
    expect(JSON.stringify([list.body, one.body, (await client.control('GET', '/ramp-webhooks')).body])).not.toContain(secret);

    const second = await subscribe('/crud-2', ['tests.test_event']);
    expect((await hooks('GET', '')).body.map((s: any) => s.id)).toEqual([created.body.id, second.id]);

    const deleted = await hooks('DELETE', `/${created.body.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    const gone = await hooks('GET', `/${created.body.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error_v2.error_code).toBe('NOT_FOUND');
    expect((await hooks('DELETE', `/${created.body.id}`)).status).toBe(404);
    expect((await hooks('GET', '')).body.map((s: any) => s.id)).toEqual([second.id]);
    const notUuid = await hooks('GET', '/not-a-uuid');
    expect(notUuid.status).toBe(404);
    expect(String(notUuid.headers.get('content-type'))).toContain('text/html');
  });

  it('refuses missing, bad and other-environment tokens; another app or business sees nothing', async () => {
    const mine = await subscribe('/tenancy', ['transactions.cleared']);
    expect((await hooks('GET', '', undefined, null)).status).toBe(401);
    expect((await hooks('GET', '', undefined, null)).body.error_v2.error_code).toBe('DEVELOPER_7002');
    expect((await hooks('GET', '', undefined, 'ramp_tok_unknown')).status).toBe(401);
    expect((await hooks('GET', '', undefined, token, 'production')).status).toBe(401);

    const other = await client.createApp({ business_id: OTHER_BUSINESS, grant_types: ['client_credentials'] });
    const otherToken = await client.clientCredentialsToken(other, ALL_READ);
    const sameBusinessApp = await client.createApp({ grant_types: ['client_credentials'] });
    const sameBusinessToken = await client.clientCredentialsToken(sameBusinessApp, ALL_READ);
    const production = await client.createApp({ environment: 'production', grant_types: ['client_credentials'] });
    const productionToken = await client.clientCredentialsToken(production, ALL_READ);
    for (const [bearer, environment] of [[otherToken, 'sandbox'], [sameBusinessToken, 'sandbox'], [productionToken, 'production']] as const) {
      expect((await hooks('GET', '', undefined, bearer, environment)).body).toEqual([]);
      expect((await hooks('GET', `/${mine.id}`, undefined, bearer, environment)).status).toBe(404);
      expect((await hooks('DELETE', `/${mine.id}`, undefined, bearer, environment)).status).toBe(404);
      expect((await hooks('POST', `/${mine.id}/verify`, { challenge: 'x' }, bearer, environment)).status).toBe(404);
    }
    expect((await hooks('GET', `/${mine.id}`)).body.status).toBe('pending_verification');
  });

  it('validation errors list every bad field in Ramp\'s 422 envelope', async () => {
    const everything = await hooks('POST', '', {
      endpoint_url: 'not a url',
      event_types: ['transactions.cleared', 'transactions.refunded'],
      additional_headers: { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6' },
      extra: true,
    });
    expect(everything.status).toBe(422);
    expect(everything.body.error_v2.error_code).toBe('DEVELOPER_7001');
    expect(Object.keys(everything.body.error_v2.additional_info).sort()).toEqual(['additional_headers', 'endpoint_url', 'event_types', 'extra']);
    expect(everything.body.error).toEqual(everything.body.error_v2.additional_info);
    expect(everything.body.error_v2.additional_info).toMatchObject({
      endpoint_url: ['Not a valid URL.'],
      event_types: [expect.stringContaining('"transactions.refunded"')],
      additional_headers: ['Longer than maximum length 5.'],
      extra: ['Unknown field.'],
    });
    expect(everything.body.error_v2.message).toBe('Not a valid URL.');

    const missing = await hooks('POST', '', {});
    expect(missing.body.error_v2.additional_info).toEqual({ endpoint_url: ['Missing data for required field.'], event_types: ['Missing data for required field.'] });
    expect((await hooks('POST', '', { endpoint_url: 5, event_types: 'bills.paid' })).body.error_v2.additional_info).toEqual({ endpoint_url: ['Not a valid string.'], event_types: ['Not a valid list.'] });
    expect((await hooks('POST', '', { endpoint_url: `${receiver.url}/v`, event_types: [] })).body.error_v2.additional_info).toEqual({ event_types: ['Shorter than minimum length 1.'] });
    const headers = await hooks('POST', '', { endpoint_url: `${receiver.url}/v`, event_types: ['bills.paid'], additional_headers: { 'X-Ramp-Webhook-Signature': 'forged', 'bad name': 'v', 'X-Empty': '', 'X-Number': 5, 'X-Line': 'a\r\nInjected: 1' } });
    expect(headers.status).toBe(422);
    expect(headers.body.error_v2.additional_info.additional_headers).toHaveLength(5);
    const unicode = await hooks('POST', '', { endpoint_url: `${receiver.url}/v`, event_types: ['bills.paid'], additional_headers: { 'X-Euro': '€', 'X-Padded': ' x ' } });
    expect(unicode.body.error_v2.additional_info.additional_headers).toEqual(['"X-Euro": Not a valid header value.', '"X-Padded": Not a valid header value.']);
    const notObject = await hooks('POST', '', ['endpoint_url']);
    expect(notObject.body.error_v2.additional_info).toEqual({ _schema: ['Invalid input type.'] });
    expect((await hooks('GET', '')).body).toEqual([]);

    const subscription = await subscribe('/v', ['bills.paid']);
    const verifyMissing = await hooks('POST', `/${subscription.id}/verify`, {});
    expect(verifyMissing.status).toBe(422);
    expect(verifyMissing.body.error_v2.additional_info).toEqual({ challenge: ['Missing data for required field.'] });
    expect((await hooks('POST', `/${subscription.id}/verify`, { challenge: 42 })).body.error_v2.additional_info).toEqual({ challenge: ['Not a valid string.'] });
  });

  it('each event type needs its resource\'s read scope (403 DEVELOPER_7100 naming every missing scope)', async () => {
    const businessOnly = await client.clientCredentialsToken(app, 'business:read');
    const expected: Record<string, string | null> = {
      'transactions.authorized': 'transactions:read', 'transactions.cleared': 'transactions:read', 'transactions.ready_for_review': 'transactions:read', 'transactions.ready_to_sync': 'transactions:read',
      'reimbursements.ready_for_review': 'reimbursements:read', 'reimbursements.ready_to_sync': 'reimbursements:read',
      'bills.created': 'bills:read', 'bills.approved': 'bills:read', 'bills.rejected': 'bills:read', 'bills.paid': 'bills:read',
      'purchase_orders.created': 'purchase_orders:read', 'purchase_orders.updated': 'purchase_orders:read',
      'tests.test_event': null, 'webhooks.verification': null,
    };
    for (const [eventType, scope] of Object.entries(expected)) {
      const response = await hooks('POST', '', { endpoint_url: `${receiver.url}/scopes`, event_types: [eventType] }, businessOnly);
      if (scope === null) {
        expect(response.status, eventType).toBe(201);
        continue;
      }
      expect(response.status, eventType).toBe(403);
      expect(response.body.error_v2).toMatchObject({ error_code: 'DEVELOPER_7100', message: `These scopes are not allowed for this token: ${scope}` });
      const withScope = await client.clientCredentialsToken(app, `business:read ${scope}`);
      expect((await hooks('POST', '', { endpoint_url: `${receiver.url}/scopes`, event_types: [eventType] }, withScope)).status, eventType).toBe(201);
    }
    const transactionsOnly = await client.clientCredentialsToken(app, 'transactions:read');
    const before = (await hooks('GET', '')).body.length;
    const mixed = await hooks('POST', '', { endpoint_url: `${receiver.url}/scopes`, event_types: ['transactions.cleared', 'bills.paid', 'purchase_orders.created', 'bills.created'] }, transactionsOnly);
    expect(mixed.status).toBe(403);
    expect(mixed.body.error_v2.message).toBe('These scopes are not allowed for this token: bills:read, purchase_orders:read');
    expect((await hooks('GET', '', undefined, transactionsOnly)).body).toHaveLength(before); // nothing created
  });

  it('endpoint URLs must be HTTPS; the emulator also accepts http:// on loopback unless told not to', async () => {
    const create = (endpoint_url: string) => hooks('POST', '', { endpoint_url, event_types: ['tests.test_event'] });
    const plain = await create('http://hooks.example.com/ramp');
    expect(plain.status).toBe(422);
    expect(plain.body.error_v2.additional_info).toEqual({ endpoint_url: ['URL must use HTTPS.'] });
    expect((await create('ftp://hooks.example.com/ramp')).status).toBe(422);
    expect((await create('https://user:pass@hooks.example.com/ramp')).status).toBe(422);
    const https = await create('https://hooks.invalid/ramp');
    expect(https.status).toBe(201);
    expect((await hooks('DELETE', `/${https.body.id}`)).status).toBe(204);
    for (const url of ['http://127.0.0.1:9/ramp', 'http://localhost:9/ramp', 'http://[::1]:9/ramp', 'http://127.8.9.10:9/ramp']) {
      const loopback = await create(url);
      expect(loopback.status, url).toBe(201);
      await hooks('DELETE', `/${loopback.body.id}`);
    }
    await config({ allow_http_loopback: false });
    expect((await create('http://127.0.0.1:9/ramp')).body.error_v2.additional_info).toEqual({ endpoint_url: ['URL must use HTTPS.'] });
    expect((await create('https://127.0.0.1:9/ramp')).status).toBe(201);
  });
});

describe('challenge round trip', () => {
  it('POSTs a signed challenge; a wrong echo is refused and the subscription stays pending; the right one activates it', async () => {
    const subscription = await subscribe('/challenge', ['transactions.cleared'], { additional_headers: { 'X-Route': 'abc' } });
    const challenge = await challengeAt('/challenge');
    expect(challenge.body).toEqual({
      id: expect.stringMatching(UUID),
      type: 'webhooks.verification',
      created_at: expect.stringMatching(/Z$/),
      business_id: emulator.demoBusinessId,
      object: { id: subscription.id },
      challenge: expect.stringMatching(/^ramp_challenge_/),
    });
    expect(challenge.headers['x-ramp-webhook-signature']).toBe(sign(challenge.raw, subscription.secret));
    expect(challenge.headers['x-route']).toBe('abc');
    expect(challenge.headers['content-type']).toBe('application/json');

    const wrong = await hooks('POST', `/${subscription.id}/verify`, { challenge: `${challenge.body.challenge}x` });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error_v2.message).toContain('challenge');
    expect((await hooks('GET', `/${subscription.id}`)).body.status).toBe('pending_verification');

    const right = await hooks('POST', `/${subscription.id}/verify`, { challenge: challenge.body.challenge });
    expect(right).toMatchObject({ status: 200, body: { success: true } });
    const active = (await hooks('GET', `/${subscription.id}`)).body;
    expect(active.status).toBe('active');
    expect(Date.parse(active.updated_at)).toBeGreaterThanOrEqual(Date.parse(active.created_at));
    expect((await hooks('POST', `/${subscription.id}/verify`, { challenge: challenge.body.challenge })).body).toEqual({ success: true });
  });

  it('a challenge answered with 503 is sent again (same body) until the endpoint takes it', async () => {
    receiver.script('/challenge-retry', [503, 503]);
    const subscription = await subscribe('/challenge-retry', ['tests.test_event']);
    await expect.poll(() => receiver.at('/challenge-retry').length, { timeout: 10_000 }).toBe(3);
    expect(new Set(receiver.at('/challenge-retry').map((r) => r.raw)).size).toBe(1);
    const [delivery] = await deliveries(`subscription_id=${subscription.id}&kind=challenge`);
    expect(delivery).toMatchObject({ outcome: 'delivered', attempts: 3 });
  });

  it('delivers nothing before verification, then everything emitted after it', async () => {
    const pending = await subscribe('/pending', ['transactions.authorized']);
    const witness = await verifiedSubscription('/witness', ['transactions.authorized']);
    const first = await mutate({ kind: 'create', count: 3 });
    await settled(witness.id, 3);
    // The witness got the batch, so the pending subscription's share (none) was decided too.
    expect(receiver.events('/pending')).toEqual([]);
    expect(await deliveries(`subscription_id=${pending.id}&kind=event`)).toEqual([]);

    const challenge = await challengeAt('/pending');
    await hooks('POST', `/${pending.id}/verify`, { challenge: challenge.body.challenge });
    const second = await mutate({ kind: 'create', count: 2 });
    await settled(pending.id, 2);
    expect(receiver.events('/pending').map((r) => r.body.object.id).sort()).toEqual([...second.ids].sort());
    expect(receiver.events('/witness').map((r) => r.body.object.id).sort()).toEqual([...first.ids, ...second.ids].sort());
  });
});

describe('deliveries', () => {
  it('every emitted event type reaches the subscriptions that asked for it, thin and signed; other businesses get nothing', async () => {
    const all = await verifiedSubscription('/all', ['transactions.authorized', 'transactions.cleared', 'reimbursements.ready_for_review', 'reimbursements.ready_to_sync', 'bills.created', 'bills.paid']);
    const billsPaid = await verifiedSubscription('/bills-paid', ['bills.paid']);
    const other = await client.createApp({ business_id: OTHER_BUSINESS, grant_types: ['client_credentials'] });
    const otherSubscription = await verifiedSubscription('/other-business', ['transactions.authorized', 'transactions.cleared', 'bills.paid'], {}, await client.clientCredentialsToken(other, ALL_READ));
    const emitted: { type: string; object_id: string }[] = [];
    for (const [resource, kind] of [['transactions', 'create'], ['transactions', 'clear'], ['reimbursements', 'create'], ['reimbursements', 'clear'], ['bills', 'create'], ['bills', 'clear']]) {
      emitted.push(...(await mutate({ resource, kind, count: 2 })).events);
    }
    expect(new Set(emitted.map((e) => e.type))).toEqual(new Set(all.event_types));
    await settled(all.id, emitted.length);
    const received = receiver.events('/all');
    expect(received.map((r) => `${r.body.type} ${r.body.object.id}`).sort()).toEqual(emitted.map((e) => `${e.type} ${e.object_id}`).sort());
    for (const r of received) {
      expect(r.body).toEqual({ id: expect.stringMatching(UUID), type: expect.any(String), created_at: expect.stringMatching(/Z$/), business_id: emulator.demoBusinessId, object: { id: expect.any(String) } });
      expect(r.headers['x-ramp-webhook-signature']).toBe(sign(r.raw, all.secret));
    }
    await settled(billsPaid.id, 2);
    expect(receiver.events('/bills-paid').map((r) => r.body.type)).toEqual(['bills.paid', 'bills.paid']);
    expect(receiver.events('/other-business')).toEqual([]);
    expect(await deliveries(`subscription_id=${otherSubscription.id}&kind=event`)).toEqual([]);
  });

  it('each subscription signs with its own secret: the same event verifies with it and not with another\'s', async () => {
    const a = await verifiedSubscription('/sig-a', ['transactions.authorized'], { additional_headers: { Authorization: 'Bearer for-a' } });
    const b = await verifiedSubscription('/sig-b', ['transactions.authorized']);
    expect(a.secret).not.toBe(b.secret);
    await mutate({ kind: 'create', count: 1 });
    await settled(a.id, 1);
    await settled(b.id, 1);
    const [atA] = receiver.events('/sig-a');
    const [atB] = receiver.events('/sig-b');
    expect(atA!.raw).toBe(atB!.raw); // one event, one id, whoever receives it
    expect(atA!.headers['x-ramp-webhook-signature']).toBe(sign(atA!.raw, a.secret));
    expect(atA!.headers['x-ramp-webhook-signature']).not.toBe(sign(atA!.raw, b.secret));
    expect(atB!.headers['x-ramp-webhook-signature']).toBe(sign(atB!.raw, b.secret));
    expect(atB!.headers['x-ramp-webhook-signature']).not.toBe(sign(atB!.raw, a.secret));
    expect(atA!.headers.authorization).toBe('Bearer for-a');
    expect(atB!.headers.authorization).toBeUndefined();
  });
});

describe('delivery rules', () => {
  it('429/5xx are retried up to 10 deliveries in all, same event id, backoff doubling from the base', async () => {
    const subscription = await verifiedSubscription('/always-503', ['transactions.authorized']);
    receiver.script('/always-503', Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 503 : 429)));
    await mutate({ kind: 'create', count: 1 });
    const [delivery] = await settled(subscription.id, 1);
    expect(delivery).toMatchObject({ outcome: 'gave_up', attempts: 10, last_status: 429 });
    const bodies = receiver.events('/always-503');
    expect(bodies).toHaveLength(10);
    expect(new Set(bodies.map((r) => r.raw)).size).toBe(1);
    const log = await attempts(`subscription_id=${subscription.id}&kind=event`);
    expect(log.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(log.map((a) => a.next_retry_in_ms)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, null]);
    expect(log.map((a) => a.result)).toEqual([...Array(9).fill('retry'), 'gave_up']);
    expect(log.every((a) => a.event_id === bodies[0]!.body.id && typeof a.duration_ms === 'number' && Date.parse(a.started_at) > 0)).toBe(true);
  });

  it('with jitter, each backoff is drawn below its doubling cap', async () => {
    await config({ base_delay_ms: 40, jitter: true, max_attempts: 6 });
    const subscription = await verifiedSubscription('/jitter', ['transactions.authorized']);
    receiver.script('/jitter', Array(18).fill(500));
    await mutate({ kind: 'create', count: 3 });
    await settled(subscription.id, 3);
    const log = await attempts(`subscription_id=${subscription.id}&kind=event`);
    const retries = log.filter((a) => a.result === 'retry');
    expect(retries).toHaveLength(15);
    for (const a of retries) {
      expect(a.next_retry_in_ms).toBeGreaterThanOrEqual(0);
      expect(a.next_retry_in_ms).toBeLessThan(40 * 2 ** (a.attempt - 1));
    }
  });

  it('stops at the first 2xx; drops 3xx and 4xx other than 429 at once; retries 429', async () => {
    const subscription = await verifiedSubscription('/mixed', ['tests.test_event']);
    const cases: [string, (number | 'hang')[], string, number][] = [
      ['5xx then ok', [503, 500, 502, 200], 'delivered', 4],
      ['429 then ok', [429, 200], 'delivered', 2],
      ['404', [404], 'dropped', 1],
      ['410', [410], 'dropped', 1],
      ['400', [400], 'dropped', 1],
      ['302', [302], 'dropped', 1],
      ['301', [301], 'dropped', 1],
    ];
    for (const [name, script, outcome, count] of cases) {
      receiver.script('/mixed', script);
      const before = receiver.events('/mixed').length;
      const { event_ids: [eventId] } = (await client.control('POST', '/ramp-webhooks/events', { type: 'tests.test_event', count: 1 })).body;
      await expect.poll(async () => (await deliveries(`event_id=${eventId}`))[0]?.outcome, { timeout: 10_000 }).toBe(outcome);
      expect((await deliveries(`event_id=${eventId}`))[0].attempts, name).toBe(count);
      expect(receiver.events('/mixed').length - before, name).toBe(count);
      expect((await attempts(`event_id=${eventId}`)).map((a) => a.response_status), name).toEqual(script.slice(0, count));
    }
    expect((await client.control('GET', '/ramp-webhooks')).body.pending_deliveries).toBe(0);
    expect(subscription.id).toMatch(UUID);
  });

  it('a receiver slower than the timeout is retried; an unreachable one too, until attempts run out', async () => {
    await config({ timeout_ms: 1000, max_attempts: 3 });
    await verifiedSubscription('/slow', ['tests.test_event']);
    receiver.script('/slow', ['hang', 200]);
    const { event_ids: [slowEvent] } = (await client.control('POST', '/ramp-webhooks/events', { type: 'tests.test_event' })).body;
    await expect.poll(async () => (await deliveries(`event_id=${slowEvent}`))[0]?.outcome, { timeout: 10_000 }).toBe('delivered');
    expect((await attempts(`event_id=${slowEvent}`)).map((a) => [a.error, a.response_status])).toEqual([['timeout', null], [null, 200]]);

    // Nobody listens on the discard port: every attempt of the challenge is a network error.
    const refused = await hooks('POST', '', { endpoint_url: 'http://127.0.0.1:9/nobody', event_types: ['tests.test_event'] });
    await expect.poll(async () => (await deliveries(`subscription_id=${refused.body.id}&kind=challenge`))[0]?.outcome, { timeout: 10_000 }).toBe('gave_up');
    const log = await attempts(`subscription_id=${refused.body.id}&kind=challenge`);
    expect(log.map((a) => a.error)).toEqual(['network', 'network', 'network']);
  });
});

describe('switches and visibility', () => {
  it('duplicate_rate 1 delivers every event twice with the same id and body; 0 once', async () => {
    const subscription = await verifiedSubscription('/dupes', ['transactions.authorized']);
    await config({ duplicate_rate: 1 });
    const { ids } = await mutate({ kind: 'create', count: 5 });
    const log = await settled(subscription.id, 10);
    expect(log.filter((d) => d.duplicate)).toHaveLength(5);
    const received = receiver.events('/dupes');
    expect(received).toHaveLength(10);
    const byId = new Map<string, Set<string>>();
    for (const r of received) byId.set(r.body.id, (byId.get(r.body.id) ?? new Set()).add(r.raw));
    expect(byId.size).toBe(5);
    expect([...byId.values()].every((raws) => raws.size === 1)).toBe(true);
    expect(received.filter((r) => r.body.id === received[0]!.body.id)).toHaveLength(2);
    expect(new Set(received.map((r) => r.body.object.id))).toEqual(new Set(ids));

    await config({ duplicate_rate: 0 });
    await mutate({ kind: 'create', count: 5 });
    await settled(subscription.id, 15);
    expect(receiver.events('/dupes')).toHaveLength(15);
  });

  it('reorder shuffles a batch of events; without it they leave in emission order', async () => {
    const subscription = await verifiedSubscription('/order', ['transactions.authorized']);
    const inOrder = await mutate({ kind: 'create', count: 30 });
    await settled(subscription.id, 30);
    const sentOrder = async (ids: string[]) => (await attempts(`subscription_id=${subscription.id}&kind=event`)).sort((a, b) => a.sequence - b.sequence).map((a) => a.object_id).filter((id) => ids.includes(id));
    expect(await sentOrder(inOrder.ids)).toEqual(inOrder.ids);

    await config({ reorder: true });
    const shuffled = await mutate({ kind: 'create', count: 30 });
    await settled(subscription.id, 60);
    const order = await sentOrder(shuffled.ids);
    expect(order).not.toEqual(shuffled.ids);
    expect([...order].sort()).toEqual([...shuffled.ids].sort());
    const arrival = receiver.events('/order').map((r) => r.body.object.id).filter((id) => shuffled.ids.includes(id));
    expect(arrival).not.toEqual(shuffled.ids);
  });

  it('delay_ms holds every event before its first delivery', async () => {
    const subscription = await verifiedSubscription('/delayed', ['transactions.authorized']);
    await config({ delay_ms: 300 });
    await mutate({ kind: 'create', count: 2 });
    const [first, second] = await settled(subscription.id, 2);
    for (const delivery of [first, second]) {
      const [attempt] = await attempts(`event_id=${delivery.event_id}`);
      expect(Date.parse(attempt.started_at) - Date.parse(delivery.queued_at)).toBeGreaterThanOrEqual(295);
    }
  });

  it('a disabled subscription is listed inactive and receives nothing; a lost one is gone; deleting stops retries', async () => {
    const disabled = await verifiedSubscription('/disabled', ['transactions.authorized']);
    const lost = await verifiedSubscription('/lost', ['transactions.authorized']);
    const witness = await verifiedSubscription('/witness-2', ['transactions.authorized']);
    const off = await client.control('POST', `/ramp-webhooks/${disabled.id}/disable`);
    expect(off.body).toMatchObject({ id: disabled.id, status: 'inactive' });
    expect(JSON.stringify(off.body)).not.toContain(disabled.secret);
    expect((await hooks('GET', `/${disabled.id}`)).body.status).toBe('inactive');
    expect((await client.control('DELETE', `/ramp-webhooks/${lost.id}`)).status).toBe(204);
    expect((await hooks('GET', `/${lost.id}`)).status).toBe(404);
    expect((await hooks('GET', '')).body.map((s: any) => [s.id, s.status])).toEqual([[disabled.id, 'inactive'], [witness.id, 'active']]);
    expect((await client.control('GET', '/ramp-webhooks')).body.subscriptions.map((s: any) => s.id)).toEqual([disabled.id, witness.id]);

    await mutate({ kind: 'create', count: 2 });
    await settled(witness.id, 2);
    expect(receiver.events('/disabled')).toEqual([]);
    expect(await deliveries(`subscription_id=${disabled.id}&kind=event`)).toEqual([]);
    expect(receiver.events('/lost')).toEqual([]);
    const challenge = receiver.at('/disabled').find((r) => r.body.type === 'webhooks.verification')!;
    expect((await hooks('POST', `/${disabled.id}/verify`, { challenge: challenge.body.challenge })).status).toBe(400);

    await config({ base_delay_ms: 60_000, jitter: false }); // Ramp's own schedule: only the deletion can end the wait
    receiver.script('/witness-2', Array(10).fill(503));
    await mutate({ kind: 'create', count: 1 });
    await expect.poll(() => receiver.events('/witness-2').length, { timeout: 10_000 }).toBe(3);
    expect((await hooks('DELETE', `/${witness.id}`)).status).toBe(204);
    const [cancelled] = (await settled(witness.id, 3)).filter((d) => d.outcome !== 'delivered');
    expect(cancelled).toMatchObject({ outcome: 'cancelled', attempts: 1 });
    expect(receiver.events('/witness-2')).toHaveLength(3);
    expect((await client.control('POST', `/ramp-webhooks/${witness.id}/disable`)).status).toBe(404);
  });

  it('max_concurrency bounds the requests in flight; the rest wait their turn', async () => {
    await config({ max_concurrency: 2 });
    await verifiedSubscription('/busy', ['tests.test_event']);
    receiver.script('/busy', Array(5).fill('hang'));
    const { event_ids: eventIds } = (await client.control('POST', '/ramp-webhooks/events', { type: 'tests.test_event', count: 5 })).body;
    await expect.poll(() => receiver.events('/busy').length, { timeout: 10_000 }).toBe(2);
    // Both slots are held by hanging requests (10 s timeout), so the other three cannot have started.
    const outcomes = (await deliveries('kind=event')).filter((d) => eventIds.includes(d.event_id)).map((d) => d.outcome).sort();
    expect(outcomes).toEqual(['in_flight', 'in_flight', 'queued', 'queued', 'queued']);
  });

  it('emits test events of any Ramp type; refuses bad requests', async () => {
    const subscription = await verifiedSubscription('/po', ['purchase_orders.created']);
    const emitted = await client.control('POST', '/ramp-webhooks/events', { type: 'purchase_orders.created', object_ids: ['po-1', 'po-2'] });
    expect(emitted.status).toBe(201);
    await settled(subscription.id, 2);
    expect(receiver.events('/po').map((r) => [r.body.id, r.body.object.id]).sort()).toEqual(emitted.body.event_ids.map((id: string, i: number) => [id, ['po-1', 'po-2'][i]]).sort());
    for (const body of [{ type: 'transactions.refunded' }, {}, { type: 'tests.test_event', count: 2, object_ids: ['a'] }, { type: 'tests.test_event', business_id: 'nope' }, { type: 'tests.test_event', count: 0 }]) {
      expect((await client.control('POST', '/ramp-webhooks/events', body)).status, JSON.stringify(body)).toBe(400);
    }
  });

  it('config is validated, merged and reset; reset forgets subscriptions and attempts', async () => {
    expect((await client.control('POST', '/ramp-webhooks/config', { max_attempts: 0 })).status).toBe(400);
    expect((await client.control('POST', '/ramp-webhooks/config', { duplicate_rate: 2 })).status).toBe(400);
    expect((await client.control('POST', '/ramp-webhooks/config', { retries: 3 })).status).toBe(400);
    expect(await config({ reorder: true })).toMatchObject({ reorder: true, base_delay_ms: 1, jitter: false });
    expect(await config({ reset: true })).toEqual({ base_delay_ms: 60_000, jitter: true, max_attempts: 10, timeout_ms: 10_000, duplicate_rate: 0, reorder: false, delay_ms: 0, max_concurrency: 32, allow_http_loopback: true, create_answer_business_id: true });
    await config({ base_delay_ms: 1 });
    await verifiedSubscription('/before-reset', ['tests.test_event']);
    await client.control('POST', '/reset');
    expect((await client.control('GET', '/ramp-webhooks')).body).toEqual({ subscriptions: [], pending_deliveries: 0 });
    expect(await attempts('')).toEqual([]);
    expect((await client.control('GET', '/ramp-webhooks/config')).body.base_delay_ms).toBe(60_000);
  });
});
