/**
 * `token list` and `token revoke` (README "CLI"), run as the real command against the database a real
 * server uses, on both dialects: at the limit of active tokens `token create` names them; `token list`
 * shows a user's, the demo owner's or a business's tokens (never a secret); `token revoke` frees a
 * slot and the server stops accepting the token; a `--user` / `--business` UUID in any spelling the API
 * accepts finds the same row (user create, token create, sync too); bad input is a usage error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ACTIVE_TOKENS_PER_USER, createApiToken } from '../../src/auth/api-tokens-repo.ts';
import { ensureDemoOwner } from '../../src/tenancy/demo-bootstrap.ts';
import { runCli } from '../helpers/processes.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { createTenant } from '../helpers/tenants.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

interface Listed {
  id: string;
  name: string;
  status: string;
  user_id: string;
  email: string;
  role?: string;
  token_prefix: string;
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: token list and token revoke`, () => {
    let t: TestServer;
    let dir: string;
    let env: Record<string, string>;
    const cli = async (args: string[]) => runCli(args, env, 60_000);
    const listed = async (args: string[]): Promise<Listed[]> => {
      const result = await cli(['token', 'list', ...args]);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as Listed[];
    };

    beforeAll(async () => {
      t = await startTestServer({ dialect });
      dir = mkdtempSync(join(tmpdir(), 'rc-tokens-'));
      env = { DATABASE_URL: t.database.url, DATA_DIR: dir, RAMP_ENV: 'emulator', LOG_LEVEL: 'warn' };
    }, 60_000);

    afterAll(async () => {
      await t?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('at the limit, token create names list and revoke; revoking one frees a slot and the server stops accepting it', async () => {
      const owner = await createTenant(t.server.ctx.db, 'owner');
      const secrets = [owner.token];
      for (let i = 1; i < MAX_ACTIVE_TOKENS_PER_USER; i++) secrets.push((await createApiToken(t.server.ctx.db, { userId: owner.userId, name: `laptop ${i}` })).token);
      const businesses = `${t.url}/api/v1/businesses`;
      expect((await fetch(businesses, { headers: { authorization: `Bearer ${owner.token}` } })).status).toBe(200);

      const refused = await cli(['token', 'create', '--user', owner.userId]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(
        `ramp-connect: At most 10 active API tokens are allowed per user; see them with \`npx ramp-connect token list --user ${owner.userId}\`, then revoke one with \`npx ramp-connect token revoke --id <id>\`\n`,
      );

      const raw = await cli(['token', 'list', '--user', owner.userId]);
      expect(raw.code, raw.stderr).toBe(0);
      for (const secret of secrets) expect(raw.stdout).not.toContain(secret.slice(-43));
      expect(raw.stdout).not.toContain('digest');
      const active = JSON.parse(raw.stdout) as Listed[];
      expect(active).toHaveLength(MAX_ACTIVE_TOKENS_PER_USER);
      expect(active.map((token) => token.status)).toEqual(Array(MAX_ACTIVE_TOKENS_PER_USER).fill('active'));
      expect(active).toContainEqual(expect.objectContaining({ id: owner.tokenId, name: 'test', user_id: owner.userId, token_prefix: `dz_${owner.tokenId.slice(0, 8)}` }));
      expect(active[0]).toEqual({
        id: expect.stringMatching(/^[0-9A-Za-z]{16}$/),
        name: expect.any(String),
        status: 'active',
        user_id: owner.userId,
        email: expect.stringContaining('@'),
        permissions: [],
        token_prefix: expect.stringMatching(/^dz_/),
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        last_used_at: null,
        revoked_at: null,
      });

      const revoked = await cli(['token', 'revoke', '--id', owner.tokenId]);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(JSON.parse(revoked.stdout)).toMatchObject({ id: owner.tokenId, user_id: owner.userId, revoked_at: expect.any(String) });
      // Every replica's auth cache holds a token for at most a second; wait for the refusal itself.
      await expect.poll(async () => (await fetch(businesses, { headers: { authorization: `Bearer ${owner.token}` } })).status, { timeout: 15_000 }).toBe(401);
      const audited = await t.server.ctx.db.kysely.selectFrom('audit_log').select(['action', 'target']).where('target', '=', `token_id=${owner.tokenId}`).execute();
      expect(audited).toEqual([{ action: 'api_token.revoke', target: `token_id=${owner.tokenId}` }]);
      // Again: nothing changes, not even the audit log.
      expect((await cli(['token', 'revoke', '--id', owner.tokenId])).code).toBe(0);
      expect(await t.server.ctx.db.kysely.selectFrom('audit_log').select('id').where('target', '=', `token_id=${owner.tokenId}`).execute()).toHaveLength(1);

      const again = await cli(['token', 'create', '--user', owner.userId]);
      expect(again.code, again.stderr).toBe(0);
      expect((await fetch(businesses, { headers: { authorization: `Bearer ${JSON.parse(again.stdout).token}` } })).status).toBe(200);
      expect(await listed(['--user', owner.userId])).toHaveLength(MAX_ACTIVE_TOKENS_PER_USER);
      const all = await listed(['--user', owner.userId, '--all']);
      expect(all).toHaveLength(MAX_ACTIVE_TOKENS_PER_USER + 1);
      expect(all.find((token) => token.id === owner.tokenId)?.status).toBe('revoked');

      // By business: every member's tokens, with the member's role there; another business's are not listed.
      const member = await createTenant(t.server.ctx.db, 'viewer', { businessId: owner.businessId });
      const stranger = await createTenant(t.server.ctx.db, 'owner');
      const byBusiness = await listed(['--business', owner.businessId]);
      expect(byBusiness).toHaveLength(MAX_ACTIVE_TOKENS_PER_USER + 1);
      expect(byBusiness.filter((token) => token.role === 'owner')).toHaveLength(MAX_ACTIVE_TOKENS_PER_USER);
      expect(byBusiness.filter((token) => token.role === 'viewer')).toEqual([expect.objectContaining({ id: member.tokenId, user_id: member.userId })]);
      expect(byBusiness.map((token) => token.id)).not.toContain(stranger.tokenId);
    });

    it('token create --demo at the limit names token list --demo, which lists the demo owner\'s tokens', async () => {
      const demo = await ensureDemoOwner(t.server.ctx.db.kysely);
      const have = (await listed(['--demo'])).length;
      for (let i = have; i < MAX_ACTIVE_TOKENS_PER_USER; i++) await createApiToken(t.server.ctx.db, { userId: demo.userId, name: 'demo' });
      const refused = await cli(['token', 'create', '--demo']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('see them with `npx ramp-connect token list --demo`, then revoke one with `npx ramp-connect token revoke --id <id>`');
      const tokens = await listed(['--demo']);
      expect(tokens).toHaveLength(MAX_ACTIVE_TOKENS_PER_USER);
      expect(new Set(tokens.map((token) => token.email))).toEqual(new Set([demo.email]));
      expect((await cli(['token', 'revoke', '--id', tokens.at(-1)!.id])).code).toBe(0);
      expect((await cli(['token', 'create', '--demo'])).code).toBe(0);
    });

    it('a --user or --business UUID in another spelling the API accepts (upper case, 32 digits, urn:uuid:) finds the same row', async () => {
      const owner = await createTenant(t.server.ctx.db, 'owner');
      // The spellings pydantic's UUID (and so the API's body validator) accepts for one id.
      const simple = (id: string) => id.replaceAll('-', '').toUpperCase();
      const urn = (id: string) => `urn:uuid:${id.toUpperCase()}`;

      expect((await listed(['--business', simple(owner.businessId)])).map((token) => token.id)).toContain(owner.tokenId);
      expect((await listed(['--user', urn(owner.userId)])).map((token) => token.id)).toContain(owner.tokenId);

      // user create stores the membership under the business's own id, so the new user's token sees it.
      const email = `spelling-${owner.userId}@example.com`;
      const user = await cli(['user', 'create', '--email', email, '--business', simple(owner.businessId), '--role', 'viewer']);
      expect(user.code, user.stderr).toBe(0);
      const made = JSON.parse(user.stdout) as { id: string; business_id: string };
      expect(made.business_id).toBe(owner.businessId);
      const token = await cli(['token', 'create', '--user', simple(made.id), '--name', 'spelling']);
      expect(token.code, token.stderr).toBe(0);
      const created = JSON.parse(token.stdout) as { token: string };
      const res = await fetch(`${t.url}/api/v1/businesses`, { headers: { authorization: `Bearer ${created.token}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { items: { id: string; role: string }[] }).items).toEqual([expect.objectContaining({ id: owner.businessId, role: 'viewer' })]);

      // sync finds the business too (it then fails for want of a Ramp connection, not for want of the business).
      const sync = await cli(['sync', '--business', simple(owner.businessId)]);
      expect(sync.code).toBe(1);
      // (Its last stderr line: a first run in a fresh data directory logs the dev key file it made.)
      expect(sync.stderr.trimEnd().split('\n').at(-1)).toBe('ramp-connect: no sync started: ramp_not_connected: This business has no Ramp connection');
    });

    it('bad input: a usage error (exit 2) or an unknown id (exit 1), one line on stderr, nothing on stdout', async () => {
      const cases: [string[], number, string][] = [
        [['token', 'list'], 2, 'give one of --user ID, --demo or --business ID'],
        [['token', 'list', '--demo', '--user', '00000000-0000-4000-8000-000000000000'], 2, 'give one of --user ID, --demo or --business ID'],
        [['token', 'list', '--business', 'acme'], 2, '--business must be a business UUID (invalid character: found `m` at 3)'],
        [['token', 'list', '--business', '00000000-0000-4000-8000-000000000000'], 1, 'no business with id 00000000-0000-4000-8000-000000000000'],
        [['token', 'list', '--user', 'nobody'], 2, '--user must be a user UUID (invalid character: found `n` at 1)'],
        [['token', 'list', '--user', '00000000-0000-4000-8000-000000000000'], 1, 'no user with id 00000000-0000-4000-8000-000000000000'],
        [['token', 'create', '--user', '0000000000000000400080000000000'], 2, '--user must be a user UUID (invalid length: expected length 32 for simple format, found 31)'],
        [['user', 'create', '--email', 'a@b.c', '--business', '00000000-0000-4000-8000-00000000000g', '--role', 'owner'], 2, '--business must be a business UUID (invalid character: found `g` at 36)'],
        [['token', 'revoke'], 2, '--id is required'],
        [['token', 'revoke', '--id', 'dz_abc'], 2, '--id must be a token id (16 letters and digits, as token list prints it)'],
        [['token', 'revoke', '--id', '0000000000000000'], 1, 'no token with id 0000000000000000'],
      ];
      for (const [args, code, message] of cases) {
        const result = await cli(args);
        expect(result.code, args.join(' ')).toBe(code);
        expect(result.stderr, args.join(' ')).toBe(`ramp-connect: ${message}\n`);
        expect(result.stdout).toBe('');
      }
    });
  });
}
