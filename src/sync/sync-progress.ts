/**
 * @module A sync's progress (the `syncs.progress` JSON): totals, per resource and per stream, and
 * the errors of streams that failed while the others went on, and the resources Ramp refused (`skipped`,
 * what makes a sync `partial`). Updated with every stored page, in the page's transaction, so it is
 * exactly what is stored.
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

/** Why a resource was not read: the token lacks its scope (403 `DEVELOPER_7100`), or Ramp refused otherwise (4xx). */
export type SkipReason = 'missing_scope' | 'ramp_error';

/** A resource this sync did not read (one entry per resource, however many streams it has). */
export interface SkippedResource {
  resource: string;
  reason: SkipReason;
  /** The scope to enable in the Ramp app; null when the refusal was not about a scope. */
  missing_scope: string | null;
  /** Ramp's answer in our words (status, Ramp code, cleaned message). */
  detail: string;
}

export interface SyncProgress {
  pages: number;
  records: number;
  changed: number;
  resources: Partial<Record<SyncResource, ResourceProgress>>;
  streams: Record<string, StreamStatus>;
  errors: { stream: string; code: string; detail: string }[];
  not_supported: string[];
  skipped: SkippedResource[];
}

export function emptyProgress(): SyncProgress {
  return { pages: 0, records: 0, changed: 0, resources: {}, streams: {}, errors: [], not_supported: [], skipped: [] };
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

/** Records a refused resource once (its first refusal says why). */
export function addSkipped(progress: SyncProgress, entry: SkippedResource): void {
  if (!progress.skipped.some((skipped) => skipped.resource === entry.resource)) progress.skipped.push(entry);
}
