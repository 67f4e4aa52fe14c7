/**
 * @module Table types of the ready feed (migration 0012_accounting_ready_feed), added to the shared
 * `Database` interface by module augmentation.
 */

/** The last failure the product reported for an object through mark-synced; removed by a later success. */
export interface RampAccountingSyncFailuresTable {
  business_id: string;
  resource: string;
  object_id: string;
  sync_type: string;
  message: string;
  failed_at: number;
}

declare module '../db/schema.ts' {
  interface Database {
    ramp_accounting_sync_failures: RampAccountingSyncFailuresTable;
  }
}
