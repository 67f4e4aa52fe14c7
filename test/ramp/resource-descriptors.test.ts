/**
 * The client's resource table against Ramp's document (ramp-schemas/paths.json): every path, scope and
 * schema name is Ramp's, and the derived config defaults and scopes follow the table.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RAMP_RESOURCES, SYNC_CONFIG_FLAGS, scopesForFlags, syncFlagDefaults } from '../../src/ramp/resource-descriptors.ts';
import { RAMP_SCHEMA_DIR, rampPaths } from '../helpers/ramp-schemas.ts';

describe('Ramp resource descriptors', () => {
  const paths = rampPaths();
  it.each(RAMP_RESOURCES.map((d) => [d.resource, d] as const))('%s: path, scope and schema are Ramp\'s', (_name, d) => {
    const entry = paths[`/developer/v1/${d.rampPath}`];
    expect(entry, d.rampPath).toBeDefined();
    expect(d.scope).toBe(entry!.scope);
    expect(d.rampSchema).toBe(entry!.item ?? entry!.schema);
    expect(existsSync(join(RAMP_SCHEMA_DIR, `${d.rampSchema}.json`))).toBe(true);
  });

  it('names each resource once and covers every resource flag of RampSyncConfigUpdate', () => {
    const names = RAMP_RESOURCES.map((d) => d.resource);
    expect(new Set(names).size).toBe(names.length);
    for (const flag of SYNC_CONFIG_FLAGS) expect(RAMP_RESOURCES.some((d) => d.syncConfigFlag === flag), flag).toBe(true);
  });

  it('only incremental resources leave deletions undetected (business aside: there is one)', () => {
    for (const d of RAMP_RESOURCES) {
      if (d.resource === 'business') continue;
      expect(d.deletion === 'not-detected', d.resource).toBe(d.incrementalFilter !== null);
    }
  });

  it('derives flag defaults and the scopes a configuration needs', () => {
    expect(syncFlagDefaults()).toEqual({
      sync_transactions: true, sync_reimbursements: true, sync_bills: true,
      sync_transfers: false, sync_cashbacks: false, sync_bill_payments: false, sync_statements: false,
    });
    const scopes = scopesForFlags({ sync_transactions: true });
    expect(scopes).toContain('transactions:read');
    expect(scopes).toContain('receipts:read');
    expect(scopes).toContain('cards:read');
    expect(scopes).not.toContain('bills:read');
    expect(scopesForFlags({ sync_bill_payments: true })).toContain('bills:read');
  });
});
