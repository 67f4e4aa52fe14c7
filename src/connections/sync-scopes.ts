/**
 * @module Which Ramp scope each synced resource needs, and so which scopes a sync configuration needs.
 *
 * Read from the resource table (src/ramp/resource-descriptors.ts: `scope` and `syncConfigFlag` per
 * resource), the same table the sync plan is built from: the default scope request of
 * `connect-with-credentials` and the `missing_scope` of a skipped resource both come from here.
 */
import { RAMP_RESOURCES, scopesForFlags } from '../ramp/resource-descriptors.ts';
import type { SyncConfig } from './sync-config.ts';

export interface ResourceScope {
  readonly resource: string;
  readonly scope: string;
}

/** The resources a sync with `config` reads (reference data always, the rest per flag), each with its scope. */
export function syncedResourceScopes(config: SyncConfig): ResourceScope[] {
  return RAMP_RESOURCES.filter((d) => d.syncConfigFlag === null || config[d.syncConfigFlag] === true).map((d) => ({ resource: d.resource, scope: d.scope }));
}

/** The distinct scopes a sync with `config` needs, in reading order. */
export function scopesForSyncConfig(config: SyncConfig): string[] {
  return scopesForFlags(config);
}

/** The scope reading `resource` needs, or null for a resource the table does not know. */
export function scopeOfResource(resource: string): string | null {
  return RAMP_RESOURCES.find((d) => d.resource === resource)?.scope ?? null;
}
