/**
 * U+0000 in a string input, both dialects: PostgreSQL's text cannot hold it (SQLSTATE 22021), so a
 * filter or a body field carrying one was a 500 there; it is a 422 `value_error` on both, before any query.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const NUL_ISSUE = { type: 'value_error', msg: 'Value error, string must not contain the NUL character (U+0000)', ctx: { error: {} } };

for (const dialect of DIALECTS) {
  describe(`${dialect}: the NUL character in a string input`, () => {
    let t: TestServer;
    let owner: Tenant;
    beforeAll(async () => {
      t = await startTestServer({ dialect });
      owner = await createTenant(t.server.ctx.db, 'owner');
    });
    afterAll(async () => t.close());

    it('in a read filter: a 422 naming the parameter', async () => {
      for (const [path, name] of [['transactions?state=%00', 'state'], ['transactions?user_id=a%00b', 'user_id'], ['receipts?transaction_id=%00', 'transaction_id']] as const) {
        const res = await request(`${t.url}/api/v1/ramp/${path}`, { headers: owner.headers });
        expect(res.status, path).toBe(422);
        expect(res.body.detail).toEqual([{ ...NUL_ISSUE, loc: ['query', name], input: expect.any(String) }]);
      }
      // The same filters without it are answered.
      expect((await request(`${t.url}/api/v1/ramp/transactions?state=CLEARED`, { headers: owner.headers })).status).toBe(200);
    });

    it('in a body field: a 422, nothing stored', async () => {
      const res = await request(`${t.url}/api/v1/businesses`, { method: 'POST', headers: { authorization: owner.headers.authorization! }, json: { name: 'Acme\u0000' } });
      expect(res.status).toBe(422);
      expect(res.body.detail).toEqual([{ ...NUL_ISSUE, loc: ['body', 'name'], input: 'Acme\u0000' }]);
      const names = (await request(`${t.url}/api/v1/businesses`, { headers: { authorization: owner.headers.authorization! } })).body.items.map((b: { name: string }) => b.name);
      expect(names.some((name: string) => name.startsWith('Acme'))).toBe(false);
    });
  });
}
