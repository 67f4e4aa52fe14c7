/**
 * @module Which Ramp scope each synced resource needs, and so which scopes a sync configuration needs.
 *
 * The one place that maps sync-config flags → resources → scopes: the default scope request of
 * `connect-with-credentials` and the `missing_scope` of a skipped resource both come from here. When
 * the resource descriptor table lands (issue 13, build item 1: `scope` and `syncConfigFlag` per
 * resource) `syncedResourceScopes` reads that table instead; its callers do not change.
 */
import { RESOURCE_SCOPES } from '../ramp/resources.ts';
import type { SyncConfig } from './sync-config.ts';

export interface ResourceScope {
  readonly resource: string;
  readonly scope: string;
}

/** Reference data every sync reads (the other records point at it), then what the flags switch on. */
const ALWAYS_READ = ['business', 'departments', 'locations', 'users', 'cards', 'vendors'] as const;
const BY_FLAG = [
  ['sync_transactions', 'transactions'],
  ['sync_reimbursements', 'reimbursements'],
  ['sync_bills', 'bills'],
] as const satisfies readonly (readonly [keyof SyncConfig, keyof typeof RESOURCE_SCOPES])[];

/** The resources a sync with `config` reads, each with the scope Ramp asks for on its list. */
export function syncedResourceScopes(config: SyncConfig): ResourceScope[] {
  const resources: (keyof typeof RESOURCE_SCOPES)[] = [...ALWAYS_READ];
  for (const [flag, resource] of BY_FLAG) if (config[flag] === true) resources.push(resource);
  return resources.map((resource) => ({ resource, scope: RESOURCE_SCOPES[resource] }));
}

/** The distinct scopes a sync with `config` needs, in reading order. */
export function scopesForSyncConfig(config: SyncConfig): string[] {
  return [...new Set(syncedResourceScopes(config).map(({ scope }) => scope))];
}

/** The scope reading `resource` needs, or null for a resource this table does not know. */
export function scopeOfResource(resource: string): string | null {
  return Object.hasOwn(RESOURCE_SCOPES, resource) ? RESOURCE_SCOPES[resource as keyof typeof RESOURCE_SCOPES] : null;
}
