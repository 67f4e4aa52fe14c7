/** @module A chart job row as the API shows it. */
import type { ChartJobRow } from '../../../accounting/chart-jobs-repo.ts';
import type { ChartJobProgress } from '../../../accounting/chart-progress.ts';

const iso = (ms: number | string | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export function chartJobView(row: ChartJobRow) {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    connection_id: row.connection_id,
    backup_id: row.backup_id,
    target_provider_name: row.target_provider_name,
    progress: JSON.parse(row.progress) as ChartJobProgress,
    error: row.error_code === null ? null : { code: row.error_code, detail: row.error ?? '' },
    created_at: iso(row.created_at)!,
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
  };
}
