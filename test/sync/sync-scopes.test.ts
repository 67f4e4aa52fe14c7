/**
 * The scope mapping (src/connections/sync-scopes.ts) covers exactly what the sync plan reads: for every
 * combination of the resource flags, the resources of `planSync` are the resources whose scopes
 * `connect-with-credentials` asks for by default. A resource added to the plan without its scope (or
 * the other way round) fails here, before a connection is made that every sync finds `partial`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SYNC_CONFIG } from '../../src/connections/sync-config.ts';
import { scopeOfResource, scopesForSyncConfig, syncedResourceScopes } from '../../src/connections/sync-scopes.ts';
import { planSync } from '../../src/sync/sync-plan.ts';
import { DEFAULT_SCOPES } from '../../src/config/config.ts';
import { RAMP_RESOURCES } from '../../src/ramp/resource-descriptors.ts';

const REFERENCE = ['business:read', 'entities:read', 'departments:read', 'locations:read', 'users:read', 'spend_programs:read', 'limits:read', 'cards:read', 'merchants:read', 'vendors:read'];

describe('sync scopes', () => {
  it('names a scope for every resource the plan reads, and no resource the plan does not read', () => {
    const flags = { sync_transactions: fc.boolean(), sync_reimbursements: fc.boolean(), sync_bills: fc.boolean(), sync_transfers: fc.boolean(), sync_cashbacks: fc.boolean(), sync_bill_payments: fc.boolean(), sync_statements: fc.boolean() };
    fc.assert(
      fc.property(fc.record(flags), (chosen) => {
        const config = { ...DEFAULT_SYNC_CONFIG, ...chosen };
        const planned = new Set(planSync(config).streams.map((stream) => stream.resource));
        const scoped = syncedResourceScopes(config);
        expect(new Set(scoped.map(({ resource }) => resource))).toEqual(planned);
        for (const { resource, scope } of scoped) expect(scopeOfResource(resource)).toBe(scope);
      }),
    );
  });

  it('the default configuration asks for the read scopes of what it syncs: reference data, transactions (with receipts and memos), reimbursements, bills', () => {
    expect(scopesForSyncConfig(DEFAULT_SYNC_CONFIG)).toEqual([...REFERENCE, 'transactions:read', 'reimbursements:read', 'bills:read', 'receipts:read', 'memos:read']);
    expect(scopesForSyncConfig({ ...DEFAULT_SYNC_CONFIG, sync_transactions: false, sync_reimbursements: false, sync_bills: false })).toEqual(REFERENCE);
    expect(scopeOfResource('nope')).toBeNull();
  });

  it('our OAuth app asks by default for the scope of every resource the sync can read, and accounting:write', () => {
    expect(new Set<string>(DEFAULT_SCOPES)).toEqual(new Set([...RAMP_RESOURCES.map((d) => d.scope), 'accounting:read', 'accounting:write']));
  });
});
