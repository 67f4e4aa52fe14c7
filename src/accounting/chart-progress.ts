/**
 * @module A chart job's progress, stored as JSON on its row and shown by `GET …/chart/jobs/{id}`.
 * Counts add up across the runs of one job (a resumed job continues them); the plan is the last
 * run's. A refused batch is kept whole: Ramp applied none of it (all-or-nothing), and each item
 * names its own problems when Ramp named them.
 */
import type { ChartKind } from './chart-model.ts';
import type { PlanCounts } from './chart-plan.ts';

export type ChartJobPhase = 'queued' | 'disconnecting' | 'connecting' | 'reading' | 'writing' | 'done';

export interface RefusedItem {
  readonly id: string;
  /** Ramp's messages for this item; empty when it was refused only because its batch was. */
  readonly problems: readonly string[];
}

export interface RefusedWrite {
  readonly kind: ChartKind;
  readonly operation: 'create' | 'update' | 'delete';
  /** For options: the custom field's product id. */
  readonly field_id?: string;
  readonly ramp_status: number;
  readonly ramp_code: string | null;
  readonly message: string | null;
  readonly items: readonly RefusedItem[];
}

export interface ChartJobProgress {
  phase: ChartJobPhase;
  /** What the last run found to do. */
  planned: PlanCounts;
  /** Writes Ramp accepted, over every run of the job. */
  done: PlanCounts;
  ramp_calls: { reads: number; writes: number };
  refused: RefusedWrite[];
  unchangeable: { kind: string; id: string; problem: string }[];
  /** Migration: the connection made for the chart. */
  new_connection_id: string | null;
  runs: number;
}

export function emptyProgress(): ChartJobProgress {
  return {
    phase: 'queued',
    planned: { creates: 0, updates: 0, deletes: 0 },
    done: { creates: 0, updates: 0, deletes: 0 },
    ramp_calls: { reads: 0, writes: 0 },
    refused: [],
    unchangeable: [],
    new_connection_id: null,
    runs: 0,
  };
}

/** Items already refused in this job: not sent again when it resumes (keys as `planChart` reads them). */
export function refusedKeys(progress: ChartJobProgress): Set<string> {
  const keys = new Set<string>();
  for (const write of progress.refused) {
    for (const item of write.items) keys.add(write.kind === 'field_option' ? `field_option:${write.field_id}/${item.id}` : `${write.kind}:${item.id}`);
  }
  return keys;
}

export function refusedItemCount(progress: ChartJobProgress): number {
  return progress.refused.reduce((n, write) => n + write.items.length, 0);
}
