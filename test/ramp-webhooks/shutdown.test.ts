/**
 * Closing a server while the Ramp webhook event worker is waiting on Ramp, both dialects: the close
 * aborts that read and waits for the worker (it used to leave it running, calling Ramp and the database
 * after both were closed), the event is not counted as a failed attempt, and it is stored once the
 * claim lapses.
 *
 * The emulator holds every read of a transaction by id for ten minutes and reports which requests are
 * still open. What is asserted is how the read ended (given up by the worker, not timed out, not left
 * open), never how long anything took; the guards only turn a hang into a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/test-db.ts';
import { startProbedEmulator, type ProbedEmulator } from '../helpers/probed-emulator.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectTenant, control, startWebhookServer, waitActive, waitProcessed } from './helpers.ts';

const READ_BY_ID = '/developer/v1/transactions/';
const HOLD_MS = 10 * 60_000;
/** Only a guard against a stuck run; nothing is measured against it. */
const CLOSE_GUARD_MS = 90_000;

async function withinGuard<T>(what: string, work: Promise<T>): Promise<T> {
  let guard: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => (guard = setTimeout(() => reject(new Error(`${what} did not finish`)), CLOSE_GUARD_MS)));
  try {
    return await Promise.race([work, stuck]);
  } finally {
    clearTimeout(guard);
  }
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: closing while the Ramp webhook worker waits on Ramp`, () => {
    let emulator: ProbedEmulator;
    let first: TestServer;
    let second: TestServer | undefined;
    beforeAll(async () => {
      emulator = await startProbedEmulator();
      first = await startWebhookServer(dialect, {}, { emulator: emulator.running });
    });
    afterAll(async () => {
      await second?.close();
      await first?.close();
      await emulator?.close();
    });

    it('aborts the read, waits for the worker, and the event is stored after the claim lapses', async () => {
      const tenant = await connectTenant(first);
      await waitActive(first, tenant);
      await control(first, 'POST', '/faults', { hang_ms: HOLD_MS, paths: [`/sandbox${READ_BY_ID}`, READ_BY_ID] });
      await control(first, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'create', count: 1 });
      await expect.poll(() => emulator.requests(READ_BY_ID).open, { timeout: 60_000, interval: 20 }).toBeGreaterThan(0);

      const db = first.database;
      await withinGuard('closing the server', first.server.close());
      // The read ended, and by the worker giving it up, not by its own 30 s timeout (which logs "Ramp
      // call failed"): a close that left the worker running, or waited the read out, fails here
      // whatever the machine's speed. The poll only waits for the emulator to see the connection close.
      await expect.poll(() => emulator.requests(READ_BY_ID).open, { timeout: 90_000, interval: 20 }).toBe(0);
      expect(first.logs.filter((line) => line.includes('Ramp call failed'))).toEqual([]);

      second = await startTestServer({ dialect, database: db, emulator: emulator.running, env: { RAMP_WEBHOOK_SUBSCRIBE: 'on' } });
      const events = () => second!.server.ctx.db.kysely.selectFrom('ramp_webhook_events').selectAll().where('business_id', '=', tenant.businessId).execute();
      const [event] = await events();
      // Not processed, and not a failed attempt either: stopping was not the event's fault.
      expect(event).toMatchObject({ processed_at: null, outcome: null });
      expect(Number(event!.next_attempt_at)).toBeGreaterThan(Date.now());

      await control(second, 'POST', '/faults', { hang_ms: 0, paths: null });
      // The claim (60 s) lapses by itself; it is moved to the past here, as a clock would.
      await second.server.ctx.db.kysely.updateTable('ramp_webhook_events').set({ next_attempt_at: Date.now() - 1 }).where('id', '=', event!.id).execute();
      second.server.features.webhooks.processor.kick();
      await waitProcessed(second, tenant.businessId, 1);
      expect((await events())[0]).toMatchObject({ outcome: 'stored' });
    }, 240_000);
  });
}
