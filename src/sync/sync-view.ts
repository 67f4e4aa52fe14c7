/** @module A sync row as the API and the CLI show it: ISO timestamps, parsed progress. */
import { parseProgress } from './sync-progress.ts';
import type { SyncRow } from './syncs-repo.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function syncView(row: SyncRow) {
  return {
    id: row.id,
    status: row.status,
    trigger: row.trigger,
    progress: parseProgress(row.progress),
    created_at: new Date(row.created_at).toISOString(),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    error: row.error,
  };
}
