/**
 * @module How a run is split into segments (stream-cursor.ts `RunSegment`).
 *
 * Ramp's lists are keyset-paginated (docs/ramp-behaviour.md#pagination): each page's link comes from the previous page, so one list
 * is one chain of round trips. A first full read of transactions — the only list that grows large —
 * is split by `user_transaction_time` (`from_date`/`to_date`, inclusive, docs/ramp-behaviour.md#resources-and-scopes) into windows reaching
 * back from the run's start, read concurrently. Windows share their boundary instant (whole
 * seconds), so a record on a boundary is read twice and stored once; none can fall between two.
 * Incremental reads (`updated_after`) and every other list stay one unbounded segment.
 */
import type { RunSegment } from './stream-cursor.ts';
import type { SyncStream } from './sync-plan.ts';

const DAY_MS = 86_400_000;
/** Window edges in days before the run started, newest first; spread where card spend usually is. */
const EDGES_DAYS = [7, 30, 60, 90, 120, 150, 180, 240, 300, 365, 730] as const;

const iso = (ms: number) => new Date(ms).toISOString();

export function planSegments(stream: SyncStream, startedAt: number, updatedAfter: string | null): RunSegment[] {
  const whole: RunSegment = { from: null, to: null, next: null, done: false };
  if (stream.resource !== 'transactions' || updatedAfter !== null) return [whole];
  const lower = stream.params.from_date ? Date.parse(stream.params.from_date) : Number.NEGATIVE_INFINITY;
  const upper = stream.params.to_date ? Date.parse(stream.params.to_date) : Number.POSITIVE_INFINITY;
  const anchor = Math.floor(startedAt / 1000) * 1000;
  const edges = EDGES_DAYS.map((days) => anchor - days * DAY_MS).filter((edge) => edge > lower && edge < upper);
  const segments: RunSegment[] = [];
  let to: number = upper;
  for (const edge of [...edges, lower]) {
    segments.push({
      from: Number.isFinite(edge) ? iso(edge) : null,
      to: Number.isFinite(to) ? iso(to) : null,
      next: null,
      done: false,
    });
    to = edge;
  }
  return segments;
}
