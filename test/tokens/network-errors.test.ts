/**
 * Checklist #24 for failures below HTTP: a refused connection (nothing listening) and a reset one
 * (accepted, then RST) at Ramp's token endpoint are transient like a 5xx or a timeout: the connection
 * stays `connected`, no `needs_reauth` event, the refresh is retried and succeeds once Ramp is back
 * (src/oauth/token-endpoint.ts `sendOAuthRequest`). Real sockets, no mocks.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import { createHarness, rampAccepts, type Harness } from '../helpers/token-harness.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { freePort } from '../helpers/test-server.ts';

/** A TCP server that accepts every connection and resets it at once. */
async function resettingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.resetAndDestroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Our context with Ramp's hosts moved to `root` (the emulator's layout: sandbox under /sandbox). */
function pointedAt(ctx: AppContext, root: string): AppContext {
  const rampHosts = { production: { apiBaseUrl: root, appBaseUrl: root }, sandbox: { apiBaseUrl: `${root}/sandbox`, appBaseUrl: `${root}/sandbox` } };
  return { ...ctx, config: { ...ctx.config, rampHosts } };
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: connection refused or reset at Ramp's token endpoint`, () => {
    let h: Harness;
    let resetting: Awaited<ReturnType<typeof resettingServer>>;
    let refusing: string;
    beforeAll(async () => {
      h = await createHarness(dialect);
      resetting = await resettingServer();
      // A port nothing listens on: the connection is refused.
      refusing = `http://127.0.0.1:${await freePort()}`;
    });
    afterAll(async () => {
      await resetting?.close();
      await h?.close();
    });

    for (const [failure, root] of [
      ['refused', () => refusing],
      ['reset', () => resetting.url],
    ] as const) {
      it(`${failure}: the refresh fails as ramp_unavailable, the connection stays connected with no event, and recovers when Ramp is back`, async () => {
        const row = await h.connectOAuth();
        await h.db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: h.ctx.now() - 1 }).where('id', '=', row.id).execute();
        const cutOff = h.newManager({ ctx: pointedAt(h.ctx, root()), callerDeadlineMs: 300, random: () => 0 });
        await expect(cutOff.getAccess(row.business_id)).rejects.toMatchObject({ code: 'ramp_unavailable' });
        expect(await cutOff.refreshIfDue(row.business_id)).toBe('failed');
        const after = (await h.store.find(row.business_id))!;
        expect(after).toMatchObject({ status: 'connected', status_reason: null, lease_owner: null, version: row.version });
        expect(after.refresh_failures).toBeGreaterThanOrEqual(1);
        expect(after.last_error).toMatch(/could not be reached/);
        expect(h.events.count('connection.needs_reauth', row.business_id)).toBe(0);
        // Ramp reachable again: the stored refresh token was never spent, so the refresh just works.
        const access = await h.manager.getAccess(row.business_id);
        expect(await rampAccepts(h.emulator.url, access.accessToken)).toBe(true);
        expect((await h.store.find(row.business_id))!).toMatchObject({ status: 'connected', refresh_failures: 0 });
      });
    }
  });
}
