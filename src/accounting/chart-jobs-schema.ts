/**
 * @module Table types of the chart-of-accounts feature (migration 0013_accounting_chart_jobs), added to
 * the shared `Database` interface by module augmentation.
 */

export type ChartJobKind = 'upload' | 'migration';
/** `partial`: ran to the end, but Ramp refused some items (listed in the progress's `refused`). */
export type ChartJobStatus = 'queued' | 'running' | 'completed' | 'partial' | 'failed';

export interface AccountingChartJobsTable {
  id: string;
  business_id: string;
  kind: ChartJobKind;
  status: ChartJobStatus;
  /** The accounting connection the job writes to (upload), or the one it migrates away from (migration). */
  connection_id: string | null;
  backup_id: string | null;
  target_provider_name: string | null;
  /** JSON `DesiredChart`. */
  desired: string;
  /** JSON `ChartJobProgress`. */
  progress: string;
  lease_owner: string | null;
  lease_until: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
  error_code: string | null;
  error: string | null;
}

export interface AccountingChartBackupsTable {
  id: string;
  business_id: string;
  connection_id: string;
  remote_provider_name: string | null;
  /** JSON `HeldChart`. */
  chart: string;
  created_at: number;
}

export interface AccountingConnectionSeenTable {
  business_id: string;
  /** Null: Ramp showed no active accounting connection. */
  connection_id: string | null;
  remote_provider_name: string | null;
  /** 1: the chart is writable through the API; 0: a direct connection (read-only); null: not probed. */
  writable: number | null;
  checked_at: number;
}

declare module '../db/schema.ts' {
  interface Database {
    accounting_chart_jobs: AccountingChartJobsTable;
    accounting_chart_backups: AccountingChartBackupsTable;
    accounting_connection_seen: AccountingConnectionSeenTable;
  }
}
