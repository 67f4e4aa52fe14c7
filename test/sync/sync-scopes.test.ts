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

  it('the default configuration asks for the nine read scopes of what it syncs', () => {
    expect(scopesForSyncConfig(DEFAULT_SYNC_CONFIG)).toEqual(['business:read', 'departments:read', 'locations:read', 'users:read', 'cards:read', 'vendors:read', 'transactions:read', 'reimbursements:read', 'bills:read']);
    expect(scopesForSyncConfig({ ...DEFAULT_SYNC_CONFIG, sync_transactions: false, sync_reimbursements: false, sync_bills: false })).toEqual(['business:read', 'departments:read', 'locations:read', 'users:read', 'cards:read', 'vendors:read']);
    expect(scopeOfResource('nope')).toBeNull();
  });
});
