/** Every response carries x-request-id: public routes, 404s, 401s, authenticated answers and 422s. */
import { it, expect } from 'vitest';
import { startTestApp } from '../helpers/test-app.ts';
import { createTenant } from '../helpers/tenants.ts';
it('x-request-id everywhere', async () => {
  const t = await startTestApp('sqlite');
  const tenant = await createTenant(t.db);
  for (const [path, headers] of [['/healthz', {}], ['/nope', {}], ['/api/v1/businesses', {}], ['/api/v1/businesses', { authorization: `Bearer ${tenant.token}` }]] as const) {
    const r = await fetch(t.url + path, { headers: { ...headers, 'x-request-id': 'abc-123' } });
    expect(r.headers.get('x-request-id'), path).toBe('abc-123');
  }
  const r = await fetch(t.url + '/api/v1/tokens', { method: 'POST', headers: { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' }, body: '{' });
  expect(r.status).toBe(422);
  expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  await t.close();
});
