/**
 * The webhook and event API over real HTTP, both dialects: create (secret shown once, never listed or
 * logged), list with cursor pagination, delete, the delivery log, the event log with its type filter,
 * tenant isolation (404 for another business's ids, 403 for a foreign x-business-id or a low role),
 * FastAPI-style 422s, the per-business endpoint limit, audit rows and the OpenAPI tags.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ENDPOINTS_PER_BUSINESS } from '../../src/events/webhook-endpoint-store.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { request } from '../helpers/http.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { startEventsApp, startReceiver, type EventsHarness, type Receiver } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: webhooks API`, () => {
    let h: EventsHarness;
    let receiver: Receiver;
    let a: Tenant;
    let b: Tenant;
    beforeAll(async () => {
      h = await startEventsApp(dialect, { pollIntervalMs: 50, delivery: { backoffBaseMs: 10, backoffCapMs: 50 } });
      receiver = await startReceiver();
      a = await createTenant(h.db, 'owner');
      b = await createTenant(h.db, 'admin');
    });
    afterAll(async () => {
      await h.close();
      await receiver.close();
    });

    const api = (path: string, tenant: Tenant | Record<string, string>, init: { method?: string; json?: unknown } = {}) =>
      request(`${h.url}${path}`, { ...init, headers: 'headers' in tenant ? (tenant as Tenant).headers : (tenant as Record<string, string>) });
    const create = (tenant: Tenant, json: unknown) => api('/api/v1/webhooks', tenant, { method: 'POST', json });

    it('201 with the endpoint and a whsec_ secret, shown once; the list never has it', async () => {
      const res = await create(a, { url: receiver.url, event_types: ['connection.created', 'sync.failed'] });
      expect(res.status).toBe(201);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        url: receiver.url,
        event_types: ['connection.created', 'sync.failed'],
        active: true,
        created_at: expect.any(String),
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
      });
      const list = await api('/api/v1/webhooks', a);
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([{ id: res.body.id, url: receiver.url, event_types: ['connection.created', 'sync.failed'], active: true, created_at: res.body.created_at }]);
      expect(list.text).not.toContain(res.body.secret);
      expect(list.text).not.toContain('secret');
      // At rest the secret is sealed, not stored in clear.
      const row = await h.db.kysely.selectFrom('webhook_endpoints').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
      expect(Buffer.from(row.secret!).toString('latin1')).not.toContain(res.body.secret);
      expect(h.feature.store.openSecret(row)).toBe(res.body.secret);
      await api(`/api/v1/webhooks/${res.body.id}`, a, { method: 'DELETE' });
    });

    it('event_types omitted or null means every type', async () => {
      const omitted = await create(a, { url: receiver.url });
      const nulled = await create(a, { url: receiver.url, event_types: null });
      expect(omitted.body.event_types).toBeNull();
      expect(nulled.body.event_types).toBeNull();
      for (const r of [omitted, nulled]) await api(`/api/v1/webhooks/${r.body.id}`, a, { method: 'DELETE' });
    });

    it('lists newest first with cursor pagination', async () => {
      const c = await createTenant(h.db, 'owner');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await create(c, { url: `${receiver.url}?n=${i}` })).body.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await api(`/api/v1/webhooks?limit=2${cursor ? `&cursor=${cursor}` : ''}`, c);
        expect(res.status).toBe(200);
        seen.push(...res.body.items.map((i: { id: string }) => i.id));
        expect(res.body.has_more).toBe(res.body.next_cursor !== null);
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(new Set(seen)).toEqual(new Set(ids));
      expect(seen).toHaveLength(5);
      const created = await Promise.all(seen.map((id) => h.db.kysely.selectFrom('webhook_endpoints').select('created_at').where('id', '=', id).executeTakeFirstOrThrow()));
      const times = created.map((r) => Number(r.created_at));
      expect([...times].sort((x, y) => y - x)).toEqual(times);
      expect((await api('/api/v1/webhooks?cursor=not-a-cursor', c)).status).toBe(400);
    });

    it('DELETE → 204, then 404; gone from the list and from delivery', async () => {
      const created = await create(a, { url: receiver.url });
      const del = await api(`/api/v1/webhooks/${created.body.id}`, a, { method: 'DELETE' });
      expect(del.status).toBe(204);
      expect(del.text).toBe('');
      expect((await api(`/api/v1/webhooks/${created.body.id}`, a, { method: 'DELETE' })).status).toBe(404);
      expect((await api(`/api/v1/webhooks/${created.body.id}/deliveries`, a)).status).toBe(404);
      const list = await api('/api/v1/webhooks', a);
      expect(list.body.items.map((i: { id: string }) => i.id)).not.toContain(created.body.id);
      const row = await h.db.kysely.selectFrom('webhook_endpoints').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
      expect(row.secret).toBeNull();
      expect(Number(row.active)).toBe(0);
    });

    it("tenant isolation: another business's endpoint is 404 everywhere; a foreign x-business-id is 403", async () => {
      const theirs = await create(b, { url: receiver.url });
      expect(theirs.status).toBe(201);
      expect((await api(`/api/v1/webhooks/${theirs.body.id}`, a, { method: 'DELETE' })).status).toBe(404);
      const log = await api(`/api/v1/webhooks/${theirs.body.id}/deliveries`, a);
      expect(log.status).toBe(404);
      expect(log.body).toEqual({ detail: 'Webhook endpoint not found', code: 'not_found' });
      const listA = await api('/api/v1/webhooks', a);
      expect(listA.body.items.map((i: { id: string }) => i.id)).not.toContain(theirs.body.id);
      // A's token naming B's business: not a member → 403, before any lookup.
      const foreign = { authorization: a.headers.authorization!, 'x-business-id': b.businessId };
      for (const [method, path] of [
        ['GET', '/api/v1/webhooks'],
        ['POST', '/api/v1/webhooks'],
        ['DELETE', `/api/v1/webhooks/${theirs.body.id}`],
        ['GET', `/api/v1/webhooks/${theirs.body.id}/deliveries`],
        ['GET', '/api/v1/events'],
      ] as const) {
        const res = await api(path, foreign, { method, ...(method === 'POST' ? { json: { url: receiver.url } } : {}) });
        expect(res.status, `${method} ${path}`).toBe(403);
      }
      // B's endpoint survived A's attempts.
      expect((await api(`/api/v1/webhooks/${theirs.body.id}/deliveries`, b)).status).toBe(200);
      expect((await api(`/api/v1/webhooks/${theirs.body.id}`, b, { method: 'DELETE' })).status).toBe(204);
    });

    it('owner and admin only: member and viewer get 403; no token 401; no x-business-id 400', async () => {
      for (const role of ['member', 'viewer'] as const) {
        const t = await createTenant(h.db, role, { businessId: a.businessId });
        expect((await api('/api/v1/webhooks', t)).status).toBe(403);
        expect((await create(t, { url: receiver.url })).status).toBe(403);
        expect((await api('/api/v1/events', t)).status).toBe(403);
      }
      expect((await api('/api/v1/webhooks', {})).status).toBe(401);
      expect((await api('/api/v1/webhooks', { authorization: a.headers.authorization! })).status).toBe(400);
    });

    it('422 for bad bodies, FastAPI-style, never echoing credentials', async () => {
      const cases: [unknown, string, (string | number)[]][] = [
        [{}, 'missing', ['body', 'url']],
        [{ url: 5 }, 'string_type', ['body', 'url']],
        [{ url: 'ftp://example.com/x' }, 'url_scheme', ['body', 'url']],
        [{ url: 'javascript:alert(1)' }, 'url_scheme', ['body', 'url']],
        [{ url: 'not a url' }, 'url_parsing', ['body', 'url']],
        [{ url: 'https://user:hunter2@example.com/hook' }, 'value_error', ['body', 'url']],
        [{ url: `https://example.com/${'a'.repeat(2048)}` }, 'string_too_long', ['body', 'url']],
        [{ url: 'https://example.com', event_types: ['connection.exploded'] }, 'literal_error', ['body', 'event_types', 0]],
        [{ url: 'https://example.com', event_types: [] }, 'too_short', ['body', 'event_types']],
        [{ url: 'https://example.com', event_types: 'sync.failed' }, 'list_type', ['body', 'event_types']],
        [{ url: 'https://example.com', extra: 1 }, 'extra_forbidden', ['body', 'extra']],
        [[], 'model_attributes_type', ['body']],
      ];
      for (const [body, type, loc] of cases) {
        const res = await create(a, body);
        expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(422);
        expect(res.body.detail[0], JSON.stringify(body).slice(0, 60)).toMatchObject({ type, loc });
        expect(res.text).not.toContain('hunter2');
      }
      const both = await create(a, {});
      expect(both.body.detail).toEqual([{ type: 'missing', loc: ['body', 'url'], msg: 'Field required', input: {} }]);
      const scheme = await create(a, { url: 'ftp://example.com/x' });
      expect(scheme.body.detail).toEqual([
        { type: 'url_scheme', loc: ['body', 'url'], msg: "URL scheme should be 'http' or 'https'", input: 'ftp://example.com/x', ctx: { expected_schemes: "'http' or 'https'" } },
      ]);
      // The URL's checks run with the schema's (a field validator): every problem of the body in one 422.
      const together = await create(a, { url: 'https://user:hunter2@example.com/hook', event_types: ['connection.exploded'], extra: 1 });
      expect(together.body.detail.map((d: any) => [d.type, d.loc])).toEqual([
        ['value_error', ['body', 'url']],
        ['literal_error', ['body', 'event_types', 0]],
        ['extra_forbidden', ['body', 'extra']],
      ]);
      expect(together.text).not.toContain('hunter2');
      const malformed = await request(`${h.url}/api/v1/webhooks`, { method: 'POST', headers: { ...a.headers, 'content-type': 'application/json' }, body: '{"url": ' });
      expect(malformed.status).toBe(422);
      expect(malformed.body.detail[0].type).toBe('json_invalid');
      expect((await api('/api/v1/webhooks/not-a-uuid', a, { method: 'DELETE' })).body.detail[0]).toMatchObject({ type: 'uuid_parsing', loc: ['path', 'webhook_id'] });
      expect((await api('/api/v1/events?type=nope', a)).body.detail[0]).toMatchObject({ type: 'literal_error', loc: ['query', 'type'] });
      expect((await api('/api/v1/events?limit=0', a)).status).toBe(422);
    });

    it('409 webhook_limit_reached past the per-business limit', async () => {
      const c = await createTenant(h.db, 'owner');
      for (let i = 0; i < MAX_ENDPOINTS_PER_BUSINESS; i++) expect((await create(c, { url: receiver.url })).status).toBe(201);
      const over = await create(c, { url: receiver.url });
      expect(over.status).toBe(409);
      expect(over.body.code).toBe('webhook_limit_reached');
    });

    it('events list: newest first, filtered by type, paginated, business-scoped', async () => {
      const c = await createTenant(h.db, 'owner');
      await h.feature.sink.emit(c.businessId, 'connection.created', { connection_id: 'c1' });
      await h.feature.sink.emit(c.businessId, 'sync.completed', { sync_id: 's1' });
      await h.feature.sink.emit(c.businessId, 'sync.failed', { sync_id: 's2', error: 'boom' });
      await h.feature.sink.emit(b.businessId, 'sync.failed', { sync_id: 'other-tenant' });
      const all = await api('/api/v1/events', c);
      expect(all.status).toBe(200);
      expect(all.body.items).toHaveLength(3);
      expect(all.body.items.map((e: { type: string }) => e.type).sort()).toEqual(['connection.created', 'sync.completed', 'sync.failed']);
      expect(all.body.items[0]).toEqual({ id: expect.any(String), type: expect.any(String), created_at: expect.any(String), business_id: c.businessId, data: expect.any(Object) });
      const failed = await api('/api/v1/events?type=sync.failed', c);
      expect(failed.body.items).toEqual([expect.objectContaining({ type: 'sync.failed', data: { sync_id: 's2', error: 'boom' } })]);
      const page1 = await api('/api/v1/events?limit=2', c);
      expect(page1.body.has_more).toBe(true);
      const page2 = await api(`/api/v1/events?limit=2&cursor=${page1.body.next_cursor}`, c);
      expect(page2.body).toMatchObject({ has_more: false, next_cursor: null });
      expect([...page1.body.items, ...page2.body.items].map((e: { id: string }) => e.id).sort()).toEqual(all.body.items.map((e: { id: string }) => e.id).sort());
      expect(all.text).not.toContain('other-tenant');
    });

    it('delivery log: event id and type, status, attempts, last status and error, newest first', async () => {
      const c = await createTenant(h.db, 'owner');
      const created = await create(c, { url: receiver.url, event_types: ['sync.failed'] });
      receiver.reply = () => 500;
      await h.feature.sink.emit(c.businessId, 'sync.failed', { sync_id: 's1' });
      await h.feature.worker.runOnce();
      const log = await api(`/api/v1/webhooks/${created.body.id}/deliveries`, c);
      expect(log.status).toBe(200);
      expect(log.body.items).toEqual([
        {
          id: expect.any(String),
          event_id: expect.any(String),
          event_type: 'sync.failed',
          status: 'pending',
          attempts: 1,
          last_status_code: 500,
          last_error: 'HTTP 500',
          next_attempt_at: expect.any(String),
          delivered_at: null,
          created_at: expect.any(String),
        },
      ]);
      receiver.reply = () => 200;
      await h.feature.worker.drain({ timeoutMs: 5_000 });
      const after = await api(`/api/v1/webhooks/${created.body.id}/deliveries`, c);
      expect(after.body.items[0]).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 200, last_error: null, next_attempt_at: null, delivered_at: expect.any(String) });
      // The receiver's body never reaches the log.
      expect(log.text).not.toContain('RECEIVER_BODY_CANARY');
    });

    it('creating and deleting endpoints writes audit rows', async () => {
      const c = await createTenant(h.db, 'owner');
      const created = await create(c, { url: receiver.url });
      await api(`/api/v1/webhooks/${created.body.id}`, c, { method: 'DELETE' });
      const rows = await h.db.kysely.selectFrom('audit_log').select(['action', 'outcome', 'actor_token_id', 'detail']).where('business_id', '=', c.businessId).orderBy('id').execute();
      expect(rows).toEqual([
        { action: 'webhook.create', outcome: 'success', actor_token_id: c.tokenId, detail: created.body.id },
        { action: 'webhook.delete', outcome: 'success', actor_token_id: c.tokenId, detail: created.body.id },
      ]);
    });

    it('OpenAPI lists the routes under the webhooks tag with summaries', async () => {
      const doc = (await request(`${h.url}/openapi.json`)).body;
      for (const [path, method] of [
        ['/api/v1/webhooks', 'post'],
        ['/api/v1/webhooks', 'get'],
        ['/api/v1/webhooks/{webhook_id}', 'delete'],
        ['/api/v1/webhooks/{webhook_id}/deliveries', 'get'],
        ['/api/v1/events', 'get'],
      ]) {
        const op = doc.paths[path!]?.[method!];
        expect(op, `${method} ${path}`).toBeDefined();
        expect(op.tags).toEqual(['webhooks']);
        expect(op.summary).toEqual(expect.any(String));
      }
    });

    it('no secret ever reaches a log line', async () => {
      const c = await createTenant(h.db, 'owner');
      const created = await create(c, { url: receiver.url });
      receiver.reply = (_r, i) => (i % 2 === 0 ? 500 : 200);
      await h.feature.sink.emit(c.businessId, 'connection.created', { connection_id: 'LOG_BODY_CANARY' });
      await h.feature.worker.drain({ timeoutMs: 5_000 });
      await api('/api/v1/webhooks', c);
      const all = h.logs.join('');
      // The logs did capture the deliveries (by ids), just nothing secret.
      expect(all).toContain('webhook delivery failed; will retry');
      expect(all).toContain(created.body.id);
      expect(all).not.toContain(created.body.secret);
      expect(all).not.toContain(created.body.secret.slice(6));
      expect(all).not.toContain('LOG_BODY_CANARY');
      expect(all).not.toContain('RECEIVER_BODY_CANARY');
      receiver.reply = () => 200;
    });
  });
}
