/**
 * Outbound webhooks do not reach our own network (SSRF), by default (`WEBHOOK_ALLOW_PRIVATE_URLS`
 * unset outside emulator mode): a private IP literal or `localhost` is a FastAPI 422 at registration,
 * and a delivery whose host is, or resolves at connection time to, a private address is a failed
 * attempt `refused: private or reserved address` — the same for an open port and a closed one, so the
 * delivery log probes nothing. A name that resolves to loopback is played by a resolver given to the
 * feature (the only stand-in here: offline, no public name resolves to 127.0.0.1); with the opt-in the
 * same resolver delivers, so it is the address check that refuses. Redirects are never followed.
 * One dialect: nothing here is in the database's hands.
 */
import { lookup as dnsLookup } from 'node:dns';
import { createServer } from 'node:http';
import type { LookupFunction } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryWorker } from '../../src/events/delivery-worker.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { freePort } from '../helpers/test-server.ts';
import { startEventsApp, startReceiver, type EventsHarness, type Receiver } from './helpers.ts';

const REFUSED = 'refused: private or reserved address';
const PRIVATE_MSG = 'Value error, URL must not point to a private, loopback or link-local address';

/** `rebind.test` resolves to loopback, `mixed.test` to loopback and a public address; other names as usual. */
const lookup: LookupFunction = (hostname, options, callback) => {
  const answers: Record<string, { address: string; family: number }[]> = {
    'rebind.test': [{ address: '127.0.0.1', family: 4 }],
    'mixed.test': [
      { address: '127.0.0.1', family: 4 },
      { address: '203.0.113.10', family: 4 },
    ],
  };
  const answer = answers[hostname];
  if (!answer) return dnsLookup(hostname, options, callback);
  if (options.all) return callback(null, answer);
  return callback(null, answer[0]!.address, answer[0]!.family);
};

describe('webhooks to private addresses', () => {
  let h: EventsHarness;
  let receiver: Receiver;
  let tenant: Tenant;
  let port: string;
  beforeAll(async () => {
    h = await startEventsApp('sqlite', { env: { WEBHOOK_ALLOW_PRIVATE_URLS: '' }, lookup });
    receiver = await startReceiver();
    port = new URL(receiver.url).port;
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });
  beforeEach(async () => {
    receiver.requests.length = 0;
    receiver.reply = () => 200;
    tenant = await createTenant(h.db, 'owner');
    // Each test starts with an empty queue: an earlier test's retry could fall due and be claimed too.
    await h.db.kysely.updateTable('webhook_deliveries').set({ status: 'dead', lease_owner: null, lease_until: null }).where('status', '=', 'pending').execute();
  });

  const create = (url: string) => request(`${h.url}/api/v1/webhooks`, { method: 'POST', headers: tenant.headers, json: { url } });
  /** Registered as an endpoint made before the check existed (or with the opt-in on) would be. */
  const stored = async (url: string) => {
    const result = await h.feature.store.create(tenant.businessId, url, null);
    if (!('created' in result)) throw new Error('limit');
    return result.created.id;
  };
  const deliveries = () => h.db.kysely.selectFrom('webhook_deliveries').selectAll().where('business_id', '=', tenant.businessId).execute();

  it('is refused by default outside emulator mode', () => {
    expect(h.ctx.config.webhookAllowPrivateUrls).toBe(false);
  });

  it('registration: a private IP literal or localhost is a 422 value_error at body.url; nothing is stored', async () => {
    const refused = [
      `http://127.0.0.1:${port}/hook`,
      'http://127.255.255.254/',
      'http://localhost:8080/hook',
      'http://LOCALHOST./hook',
      'https://api.localhost/hook',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://172.31.255.255/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/',
      'http://100.127.255.255/',
      'http://0.0.0.0:8080/',
      'http://0/',
      'http://2130706433/', // 127.0.0.1 as one number
      'http://0x7f.1/', // 127.0.0.1 in hex, shortened
      'http://[::1]/',
      'http://[::]/',
      'http://[fc00::1]/',
      'http://[fd12:3456::1]/',
      'http://[fe80::1]/',
      'http://[febf::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:a9fe:a9fe]/', // 169.254.169.254, IPv4-mapped
    ];
    for (const url of refused) {
      const res = await create(url);
      expect(res.status, url).toBe(422);
      expect(res.body, url).toEqual({ detail: [{ type: 'value_error', loc: ['body', 'url'], msg: PRIVATE_MSG, input: url, ctx: { error: {} } }] });
    }
    expect(await h.db.kysely.selectFrom('webhook_endpoints').select('id').where('business_id', '=', tenant.businessId).execute()).toEqual([]);
    // Just outside each range, and names (checked when connecting): accepted.
    for (const url of ['http://172.32.0.1/', 'http://172.15.255.255/', 'http://100.128.0.1/', 'http://192.169.0.1/', 'http://11.0.0.1/', 'http://[2001:db8::1]/', 'http://[fec0::1]/', 'https://hooks.example.com/x', `http://rebind.test:${port}/hooks`]) {
      const res = await create(url);
      expect(res.status, url).toBe(201);
      await request(`${h.url}/api/v1/webhooks/${res.body.id}`, { method: 'DELETE', headers: tenant.headers });
    }
  });

  it('delivery: a private host, literal or resolved when connecting, is a failed attempt with one fixed error, open port or not', async () => {
    const closedPort = await freePort();
    const ids = {
      open: await stored(`http://127.0.0.1:${port}/hooks`),
      closed: await stored(`http://127.0.0.1:${closedPort}/hooks`),
      ipv6: await stored(`http://[::1]:${port}/hooks`),
      mapped: await stored(`http://[::ffff:127.0.0.1]:${port}/hooks`),
      localhost: await stored(`http://localhost:${port}/hooks`),
      rebind: (await create(`http://rebind.test:${port}/hooks`)).body.id as string,
      mixed: (await create(`http://mixed.test:${port}/hooks`)).body.id as string,
    };
    await h.feature.sink.emit(tenant.businessId, 'sync.failed', {});
    expect(await h.feature.worker.runOnce()).toBe(Object.keys(ids).length);
    const rows = await deliveries();
    const outcome = (id: string) => {
      const row = rows.find((r) => r.endpoint_id === id);
      return row && { status: row.status, attempts: row.attempts, last_status_code: row.last_status_code, last_error: row.last_error };
    };
    const refusedOnce = { status: 'pending', attempts: 1, last_status_code: null, last_error: REFUSED };
    expect(Object.fromEntries(Object.entries(ids).map(([name, id]) => [name, outcome(id)]))).toEqual(Object.fromEntries(Object.keys(ids).map((name) => [name, refusedOnce])));
    expect(receiver.requests).toEqual([]);
    // The delivery log says the same, and nothing more.
    const log = await request(`${h.url}/api/v1/webhooks/${ids.rebind}/deliveries`, { headers: tenant.headers });
    expect(log.body.items).toMatchObject([{ status: 'pending', attempts: 1, last_status_code: null, last_error: REFUSED }]);
    expect(log.text).not.toContain('127.0.0.1');
  });

  it('with WEBHOOK_ALLOW_PRIVATE_URLS the same name is delivered, through the same resolver', async () => {
    const id = (await create(`http://rebind.test:${port}/hooks`)).body.id as string;
    await h.feature.sink.emit(tenant.businessId, 'sync.failed', {});
    const allowed = new DeliveryWorker({ db: h.db, store: h.feature.store, log: createLogger('silent'), egress: { allowPrivateAddresses: true, lookup } });
    expect(await allowed.runOnce()).toBe(1);
    expect((await deliveries()).find((r) => r.endpoint_id === id)).toMatchObject({ status: 'delivered', last_status_code: 200 });
    expect(receiver.requests).toHaveLength(1);
  });

  it('a redirect is never followed, even where the address is allowed', async () => {
    const target = await startReceiver();
    try {
      const redirecting = await startRedirector(target.url);
      try {
        await stored(redirecting.url);
        await h.feature.sink.emit(tenant.businessId, 'sync.failed', {});
        const allowed = new DeliveryWorker({ db: h.db, store: h.feature.store, log: createLogger('silent'), egress: { allowPrivateAddresses: true } });
        expect(await allowed.runOnce()).toBe(1);
        expect(await deliveries()).toMatchObject([{ status: 'pending', attempts: 1, last_status_code: 307, last_error: 'HTTP 307 (redirects are not followed)' }]);
        expect(redirecting.hits).toBe(1);
        expect(target.requests).toEqual([]);
      } finally {
        await redirecting.close();
      }
    } finally {
      await target.close();
    }
  });
});

/** A loopback server answering every request with a 307 to `location`. */
async function startRedirector(location: string): Promise<{ url: string; readonly hits: number; close(): Promise<void> }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(307, { location }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks`,
    get hits() {
      return hits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
