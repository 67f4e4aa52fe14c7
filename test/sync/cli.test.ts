/** `ramp-connect sync --business ID` in-process against a test database and the emulator. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { syncCommand } from '../../src/cli/commands/sync.ts';
import { CliError } from '../../src/cli/output.ts';
import { loadConfig } from '../../src/config/config.ts';
import { TEST_SCOPES } from '../helpers/cc-token-provider.ts';
import { createTenant } from '../helpers/tenants.ts';
import { connectedTenant, control, startDataApp, storedRecords, type DataTestApp } from './helpers.ts';

describe('sqlite: sync command', () => {
  let t: DataTestApp;
  beforeAll(async () => {
    t = await startDataApp('sqlite');
  });
  afterAll(async () => t?.close());

  const run = async (flags: Record<string, string | boolean>) => {
    const config = loadConfig({ DATABASE_URL: t.database.url, RAMP_ENV: 'sandbox' });
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      await syncCommand({ flags, config }, () => t.tokens);
    } finally {
      spy.mockRestore();
    }
    return out.join('');
  };

  it('runs a sync to completion and prints it as JSON', async () => {
    const tenant = await connectedTenant(t, { transactions: 60 });
    const output = await run({ business: tenant.businessId, json: true });
    const view = JSON.parse(output);
    expect(view).toMatchObject({ status: 'completed', trigger: 'manual', error: null });
    // Records read (one on a window edge of segments.ts is read twice); stored: exactly 60.
    expect(view.progress.resources.transactions.records).toBeGreaterThanOrEqual(60);
    expect(view.progress.resources.transactions.records).toBeLessThanOrEqual(60 + 11);
    expect((await storedRecords(t.db, tenant.businessId, 'transactions')).size).toBe(60);
  });

  it('a partial sync prints the view with its skipped list and exits non-zero naming the scope to enable', async () => {
    const tenant = await createTenant(t.db, 'owner');
    const rampBusinessId = randomUUID();
    await control(t.emulator, 'POST', '/seed', { business_id: rampBusinessId, transactions: 5 });
    const app = await control(t.emulator, 'POST', '/apps', { business_id: rampBusinessId, grant_types: ['client_credentials'], environment: 'sandbox' });
    t.tokens.connect(tenant.businessId, { client_id: app.client_id, client_secret: app.client_secret, apiBaseUrl: `${t.emulator.url}/sandbox`, scopes: TEST_SCOPES.filter((scope) => scope !== 'bills:read') });
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      await expect(syncCommand({ flags: { business: tenant.businessId, json: true }, config: loadConfig({ DATABASE_URL: t.database.url, RAMP_ENV: 'sandbox' }) }, () => t.tokens)).rejects.toThrow(
        'sync partial: Ramp refused bills (enable bills:read in the Ramp app); everything else was synced',
      );
    } finally {
      spy.mockRestore();
    }
    expect(JSON.parse(printed.join(''))).toMatchObject({ status: 'partial', skipped: [{ resource: 'bills', reason: 'missing_scope', missing_scope: 'bills:read' }] });
  });

  it('fails with a one-line error for a bad or unknown business, and a failed sync exits non-zero', async () => {
    await expect(run({ business: 'nope' })).rejects.toBeInstanceOf(CliError);
    await expect(run({ business: '00000000-0000-4000-8000-000000000000' })).rejects.toThrow(/no business/);
    // Ramp refuses the app's credentials by the time the sync asks for a token: the sync fails.
    const rejected = await connectedTenant(t, { transactions: 5 });
    await control(t.emulator, 'POST', `/apps/${rejected.clientId}/rotate-secret`, {});
    await expect(run({ business: rejected.businessId, json: true })).rejects.toThrow(/sync failed: reauthorization_required/);
  });

  it('refuses a business without a connection before creating a sync (exit 1, the code named)', async () => {
    const unconnected = await createTenant(t.db, 'owner');
    const refused = run({ business: unconnected.businessId, json: true });
    await expect(refused).rejects.toBeInstanceOf(CliError);
    await expect(refused).rejects.toMatchObject({ exitCode: 1, message: 'no sync started: ramp_not_connected: This business has no Ramp connection' });
    expect(await t.db.kysely.selectFrom('syncs').select('id').where('business_id', '=', unconnected.businessId).execute()).toEqual([]);
  });
});
