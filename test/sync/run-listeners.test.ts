/**
 * A sync run listens to its process's stop signal (to pause when the process stops) and lets go of it
 * when it ends: the signal lives as long as the process, so a listener left behind would keep every
 * finished sync reachable (and print MaxListenersExceededWarning after ten). Real emulator, both dialects.
 */
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import { RampClient } from '../../src/ramp/ramp-client.ts';
import { DEFAULT_RUNNER_SETTINGS, runClaimedSync } from '../../src/sync/sync-runner.ts';
import { claimSync, requestSync } from '../../src/sync/syncs-repo.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { createTenant } from '../helpers/tenants.ts';
import { connectedTenant, RecordingEventSink, startDataApp, type DataTestApp } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: a sync run and the process's stop signal`, () => {
    let t: DataTestApp;
    beforeAll(async () => {
      t = await startDataApp(dialect, { scheduler: false });
    });
    afterAll(async () => t.close());

    it('leaves no listener on the stop signal once it ends, completed or failed', async () => {
      const tenant = await connectedTenant(t, { transactions: 5 });
      const stop = new AbortController();
      const deps = {
        db: t.db.kysely, dialect: t.db.dialect, client: new RampClient(t.tokens), tokens: t.tokens, events: new RecordingEventSink(),
        log: createLogger('silent'), now: Date.now, settings: DEFAULT_RUNNER_SETTINGS, stopSignal: stop.signal,
      };
      const runOnce = async (businessId: string) => {
        await requestSync(t.db.kysely, businessId, 'manual', Date.now());
        const sync = await claimSync(t.db.kysely, t.db.dialect, { owner: 'listener-test', now: Date.now(), leaseMs: 30_000, excludeIds: [] });
        expect(sync?.business_id).toBe(businessId);
        return runClaimedSync(deps, sync!, 'listener-test');
      };
      for (let i = 0; i < 3; i++) expect((await runOnce(tenant.businessId))?.status).toBe('completed');
      // A business with no connection: the run fails at its first step.
      const unconnected = await createTenant(t.db, 'owner');
      expect((await runOnce(unconnected.businessId))?.status).toBe('failed');
      expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    });
  });
}
