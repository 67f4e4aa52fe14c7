/** The HTTP plugins are named and declare their order: the audit log cannot load before auth. */
import Fastify from 'fastify';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/schema.ts';
import { auditPlugin } from '../../src/http/audit-hook.ts';
import { authPlugin } from '../../src/http/auth.ts';
import { installIdempotency } from '../../src/http/idempotency.ts';
import { IdempotentBusinessHeaders } from '../../src/core/schemas.ts';

// Neither plugin touches the database while loading; the hooks would, per request.
const db = {} as Kysely<Database>;

describe('plugin order', () => {
  it('registering the audit log without the auth plugin fails, naming the missing dependency', async () => {
    const app = Fastify();
    await expect(app.register(auditPlugin, { db, now: Date.now })).rejects.toThrow(/ramp-connect-auth/);
    await app.close().catch(() => {});
  });

  it('auth first, then the audit log, loads', async () => {
    const app = Fastify();
    await app.register(authPlugin, { db });
    await app.register(auditPlugin, { db, now: Date.now });
    await app.ready();
    expect(app.hasPlugin('ramp-connect-auth') && app.hasPlugin('ramp-connect-audit')).toBe(true);
    await app.close();
  });
});

describe('Idempotency-Key', () => {
  it('a route documenting the header without config.idempotent is refused at registration (its key would go unchecked)', async () => {
    const app = Fastify();
    installIdempotency(app, db, Date.now);
    expect(() => app.post('/forgot', { schema: { headers: IdempotentBusinessHeaders } }, async () => ({}))).toThrow(/documents Idempotency-Key without config.idempotent/);
    expect(() => app.post('/declared', { config: { idempotent: true }, schema: { headers: IdempotentBusinessHeaders } }, async () => ({}))).not.toThrow();
    await app.close();
  });
});
