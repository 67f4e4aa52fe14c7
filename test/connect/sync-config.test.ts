/**
 * `GET/PUT /api/v1/ramp/sync-config` over HTTP, both dialects: the defaults, a partial update that keeps
 * the other fields, a date range that ends before it starts (400, nothing stored), and roles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http.ts';
import { createTenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: sync configuration`, () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ dialect });
    });
    afterAll(async () => t.close());

    it('starts from the defaults, takes partial updates, and refuses a range that ends before it starts', async () => {
      const owner = await createTenant(t.server.ctx.db, 'owner');
      const url = `${t.url}/api/v1/ramp/sync-config`;
      const initial = await request(url, { headers: owner.headers });
      expect(initial.status).toBe(200);
      expect(initial.body).toMatchObject({ sync_enabled: true, auto_sync_enabled: false, auto_sync_interval_hours: 24, sync_from_date: null, sync_card_ids: null });

      const updated = await request(url, { method: 'PUT', headers: owner.headers, json: { auto_sync_enabled: true, sync_card_ids: ['c1'] } });
      expect(updated.status).toBe(200);
      expect(updated.body).toEqual({ ...initial.body, auto_sync_enabled: true, sync_card_ids: ['c1'] });

      const backwards = await request(url, { method: 'PUT', headers: owner.headers, json: { sync_from_date: '2026-11-02T00:00:00Z', sync_to_date: '2026-11-01T00:00:00Z' } });
      expect(backwards.status).toBe(400);
      expect(backwards.body).toEqual({ detail: 'sync_from_date must not be after sync_to_date', code: 'invalid_request' });
      expect((await request(url, { headers: owner.headers })).body).toEqual(updated.body);

      // One bound given against the other stored: the result is what must not run backwards.
      expect((await request(url, { method: 'PUT', headers: owner.headers, json: { sync_to_date: '2026-11-01T00:00:00Z' } })).status).toBe(200);
      const later = await request(url, { method: 'PUT', headers: owner.headers, json: { sync_from_date: '2026-11-02T00:00:00Z' } });
      expect(later.status).toBe(400);
      expect((await request(url, { headers: owner.headers })).body).toMatchObject({ sync_from_date: null, sync_to_date: '2026-11-01T00:00:00Z' });
    });

    it('takes a bare date or a date-time without an offset as UTC, answered with its zone', async () => {
      const owner = await createTenant(t.server.ctx.db, 'owner');
      const url = `${t.url}/api/v1/ramp/sync-config`;
      for (const [from, to, zonedFrom, zonedTo] of [
        ['2026-07-01', '2026-07-31T23:59', '2026-07-01T00:00:00.000Z', '2026-07-31T23:59:00.000Z'],
        ['2026-07-01T08:30:00', '2026-07-02 10:00:00', '2026-07-01T08:30:00.000Z', '2026-07-02T10:00:00.000Z'],
        ['2026-07-01T00:00:00+02:00', '2026-07-31T00:00:00Z', '2026-07-01T00:00:00+02:00', '2026-07-31T00:00:00Z'],
      ]) {
        const put = await request(url, { method: 'PUT', headers: owner.headers, json: { sync_from_date: from, sync_to_date: to } });
        expect(put.status).toBe(200);
        expect(put.body).toMatchObject({ sync_from_date: zonedFrom, sync_to_date: zonedTo });
        const got = await request(url, { headers: owner.headers });
        expect(got.status).toBe(200);
        expect(got.body).toMatchObject({ sync_from_date: zonedFrom, sync_to_date: zonedTo });
      }
      // A window stored bare before the change is read zoned, not answered with a 500.
      await t.server.ctx.db.kysely
        .updateTable('ramp_sync_configs')
        .set({ config: JSON.stringify({ sync_from_date: '2026-07-01', sync_to_date: '2026-07-31T12:00:00' }) })
        .where('business_id', '=', owner.businessId)
        .execute();
      const healed = await request(url, { headers: owner.headers });
      expect(healed.status).toBe(200);
      expect(healed.body).toMatchObject({ sync_from_date: '2026-07-01T00:00:00.000Z', sync_to_date: '2026-07-31T12:00:00.000Z' });
    });

    it('members read it, only owners and admins change it', async () => {
      const member = await createTenant(t.server.ctx.db, 'member');
      expect((await request(`${t.url}/api/v1/ramp/sync-config`, { headers: member.headers })).status).toBe(200);
      expect((await request(`${t.url}/api/v1/ramp/sync-config`, { method: 'PUT', headers: member.headers, json: { sync_bills: false } })).status).toBe(403);
    });
  });
}
