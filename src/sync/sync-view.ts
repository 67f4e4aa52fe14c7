/** @module A sync row as the API and the CLI show it: ISO timestamps, parsed progress, the resources Ramp refused. */
import { parseProgress } from './sync-progress.ts';
import type { SyncRow } from './syncs-repo.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function syncView(row: SyncRow) {
  const progress = parseProgress(row.progress);
  return {
    id: row.id,
    status: row.status,
    trigger: row.trigger,
    progress,
    skipped: progress.skipped,
    created_at: new Date(row.created_at).toISOString(),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    error: row.error,
  };
}

/** A finished sync as `GET /api/v1/ramp/status` shows it (`last_sync`). */
export function lastSyncView(row: SyncRow & { status: 'completed' | 'partial' | 'failed'; finished_at: number }) {
  return { id: row.id, status: row.status, finished_at: new Date(row.finished_at).toISOString(), skipped: parseProgress(row.progress).skipped, error: row.error };
}
