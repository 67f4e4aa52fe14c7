/** @module The ordered list of migrations. Names sort in application order; never rename one that shipped. */
import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';
import * as m0001 from './0001_foundation.ts';
import * as m0002 from './0002_connections.ts';
import * as m0003 from './0003_sync.ts';
import * as m0004 from './0004_events.ts';
import * as m0005 from './0005_record_change_trigger.ts';
import * as m0006 from './0006_audit_target_append_only.ts';
import * as m0007 from './0007_ramp_rate_budget.ts';
import * as m0008 from './0008_record_deletions.ts';
import * as m0009 from './0009_oauth_browser_binding.ts';
import * as m0010 from './0010_idempotency_keys.ts';
import * as m0011 from './0011_revoke_pending.ts';
import * as m0012ready from './0012_accounting_ready_feed.ts';
import * as m0013 from './0013_accounting_chart_jobs.ts';
import * as m0014 from './0014_ramp_webhook_subscriptions.ts';
import * as m0015 from './0015_partial_record_indexes.ts';
import * as m0016 from './0016_ready_index_partial.ts';
import * as m0017 from './0017_record_parts.ts';
import * as m0018 from './0018_filter_indexes_ordered.ts';
import * as m0019 from './0019_record_text_lz4.ts';
import * as m0020 from './0020_ready_episode.ts';

export interface DialectMigration {
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

export const MIGRATIONS: Record<string, DialectMigration> = {
  '0001_foundation': m0001,
  '0002_connections': m0002,
  '0003_sync': m0003,
  '0004_events': m0004,
  '0005_record_change_trigger': m0005,
  '0006_audit_target_append_only': m0006,
  '0007_ramp_rate_budget': m0007,
  '0008_record_deletions': m0008,
  '0009_oauth_browser_binding': m0009,
  '0010_idempotency_keys': m0010,
  '0011_revoke_pending': m0011,
  '0012_accounting_ready_feed': m0012ready,
  '0013_accounting_chart_jobs': m0013,
  '0014_ramp_webhook_subscriptions': m0014,
  '0015_partial_record_indexes': m0015,
  '0016_ready_index_partial': m0016,
  '0017_record_parts': m0017,
  '0018_filter_indexes_ordered': m0018,
  '0019_record_text_lz4': m0019,
  '0020_ready_episode': m0020,
};
