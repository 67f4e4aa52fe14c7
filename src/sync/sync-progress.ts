/**
 * @module A sync's progress (the `syncs.progress` JSON): totals, per resource and per stream, and
 * the errors of streams that failed while the others went on. Updated with every stored page, in the
 * page's transaction, so it is exactly what is stored.
 */
import type { SyncResource } from './record-projection.ts';

export type StreamStatus = 'pending' | 'running' | 'done' | 'skipped' | 'failed';

export interface ResourceProgress {
  status: StreamStatus;
  pages: number;
  /** Records Ramp returned (after local filters). */
  records: number;
  /** Records inserted or changed. */
  changed: number;
  /** Records a complete full read no longer returned, marked deleted (record-deletions.ts). */
  deleted?: number;
}

export interface SyncProgress {
  pages: number;
  records: number;
  changed: number;
  resources: Partial<Record<SyncResource, ResourceProgress>>;
  streams: Record<string, StreamStatus>;
  errors: { stream: string; code: string; detail: string }[];
  not_supported: string[];
}

export function emptyProgress(): SyncProgress {
  return { pages: 0, records: 0, changed: 0, resources: {}, streams: {}, errors: [], not_supported: [] };
}

export function parseProgress(text: string): SyncProgress {
  try {
    const parsed = JSON.parse(text) as Partial<SyncProgress>;
    return { ...emptyProgress(), ...parsed };
  } catch {
    return emptyProgress();
  }
}

export function resourceProgress(progress: SyncProgress, resource: SyncResource): ResourceProgress {
  return (progress.resources[resource] ??= { status: 'pending', pages: 0, records: 0, changed: 0 });
}

/** A resource's status summarises its streams: failed > running > pending > skipped > done. */
export function setStreamStatus(progress: SyncProgress, key: string, resource: SyncResource, status: StreamStatus, allKeys: readonly string[]): void {
  progress.streams[key] = status;
  const statuses = allKeys.map((k) => progress.streams[k] ?? 'pending');
  const order: StreamStatus[] = ['failed', 'running', 'pending', 'skipped', 'done'];
  resourceProgress(progress, resource).status = order.find((s) => statuses.includes(s)) ?? status;
}
