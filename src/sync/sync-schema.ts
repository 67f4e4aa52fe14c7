/**
 * @module Table types of the sync feature (migration 0003_sync), added to the shared `Database`
 * interface by module augmentation so `src/db/schema.ts` stays the foundation's file.
 */
import type { Generated } from 'kysely';

/** `partial`: ran to the end, but Ramp refused some resources (listed in the progress's `skipped`). */
export type SyncStatus = 'queued' | 'running' | 'completed' | 'partial' | 'failed';
export type SyncTrigger = 'manual' | 'auto' | 'webhook';

export interface RampRecordsTable {
  business_id: string;
  resource: string;
  id: string;
  /** Ramp's object, verbatim JSON. */
  data: string;
  /** SHA-1 of `data`: unchanged records are not rewritten. */
  data_hash: string;
  /** Integer minor units (cents for USD), converted exactly (src/ramp/money.ts). */
  amount_cents: number | null;
  currency: string | null;
  occurred_at: number;
  state: string | null;
  user_id: string | null;
  card_id: string | null;
  department_id: string | null;
  first_synced_at: number;
  updated_at: number;
  last_sync_id: string | null;
  /** Epoch ms when a complete full read no longer listed the record (migration 0008); null while Ramp lists it. */
  deleted_at: number | null;
  /** The transaction a receipt or memo belongs to. */
  link_id: string | null;
  /** `NOT_SYNC_READY | SYNC_READY | SYNCED` for objects Ramp syncs to the books (migration 0012_accounting_ready_feed). */
  sync_status: string | null;
  /**
   * When the read of Ramp that produced `data` began (migration 0014): a sync's run start, a webhook
   * fetch's send time. A write carrying an older read time is skipped (page-commit.ts).
   */
  ramp_read_at: number | null;
  /**
   * The generation of `ramp_record_parts` holding this record's array fields stored apart (migration
   * 0017, a statement's `statement_lines`); null when `data` is the whole record.
   */
  parts_generation: string | null;
  /**
   * How many times a read of Ramp found the object ready to sync after we held it as not ready (migration
   * 0020_ready_episode): moved only by the shared upsert (page-commit.ts), never by mark-synced's own
   * mark, so mark-synced's keys tell Ramp's re-openings of an object apart (src/accounting/ready-status-back.ts).
   */
  ready_episode: Generated<number>;
}

/** A slice of a record's array field stored apart (migration 0017_record_parts, src/sync/record-parts.ts). */
export interface RampRecordPartsTable {
  business_id: string;
  generation: string;
  field: string;
  part_no: number;
  text: string;
  created_at: number;
}

export interface RampRecordChangesTable {
  id: Generated<number>;
  business_id: string;
  resource: string;
  record_id: string;
  sync_id: string | null;
  /** `state` or `amount_cents`. */
  field: string;
  old_value: string | null;
  new_value: string | null;
  changed_at: number;
}

export interface SyncsTable {
  id: string;
  business_id: string;
  status: SyncStatus;
  trigger: SyncTrigger;
  /** JSON `SyncProgress`. */
  progress: string;
  lease_owner: string | null;
  lease_until: number | null;
  follow_up: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
  error: string | null;
}

export interface SyncCursorsTable {
  business_id: string;
  resource: string;
  /** JSON `StreamCursor`. */
  cursor: string;
  updated_at: number;
}

export interface RampBusinessLinksTable {
  ramp_business_id: string;
  business_id: string;
  updated_at: number;
}

declare module '../db/schema.ts' {
  interface Database {
    ramp_records: RampRecordsTable;
    ramp_record_parts: RampRecordPartsTable;
    ramp_record_changes: RampRecordChangesTable;
    syncs: SyncsTable;
    sync_cursors: SyncCursorsTable;
    ramp_business_links: RampBusinessLinksTable;
  }
}
