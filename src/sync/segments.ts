/**
 * @module How a run is split into segments (stream-cursor.ts `RunSegment`).
 *
 * Ramp's lists are keyset-paginated (docs/ramp-behaviour.md#pagination): each page's link comes from the previous page, so one list
 * is one chain of round trips. A first full read of transactions — the only list that grows large —
 * is split by `user_transaction_time` (`from_date`/`to_date`, inclusive, docs/ramp-behaviour.md#resources-and-scopes) into windows reaching
 * back from the run's start, read concurrently. Windows share their boundary instant (whole
 * seconds), so a record on a boundary is read twice and stored once; none can fall between two.
 * Statements are split the same way on `end_date` (Ramp's filter for them), in windows narrower than
 * a statement cycle, and read one window at a time: a statement carries every line of its period
 * (Ramp's `statement_lines`), megabytes for a large business, and Ramp's smallest page is two
 * statements (docs/ramp-behaviour.md#pagination), so a window is what keeps a page to one statement.
 * Incremental reads (`updated_after`) and every other list stay one unbounded segment.
 */
import { SEGMENT_CONCURRENCY } from './page-pipeline.ts';
import type { RunSegment } from './stream-cursor.ts';
import type { SyncStream } from './sync-plan.ts';

const DAY_MS = 86_400_000;
/** Window edges in days before the run started, newest first; spread where card spend usually is. */
const EDGES_DAYS = [7, 30, 60, 90, 120, 150, 180, 240, 300, 365, 730] as const;
/** Statements: 14-day windows (a monthly cycle ends in one of them) over two years, then one for anything older. */
const STATEMENT_EDGES_DAYS = Array.from({ length: 52 }, (_, i) => (i + 1) * 14);

function edgesDaysOf(stream: SyncStream): readonly number[] {
  if (stream.resource === 'transactions') return EDGES_DAYS;
  if (stream.resource === 'statements') return STATEMENT_EDGES_DAYS;
  return [];
}

/** Segments read at once: statements one at a time (each page may be one large statement). */
export function segmentConcurrency(stream: SyncStream): number {
  return stream.resource === 'statements' ? 1 : SEGMENT_CONCURRENCY;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function planSegments(stream: SyncStream, startedAt: number, updatedAfter: string | null): RunSegment[] {
  const whole: RunSegment = { from: null, to: null, next: null, done: false };
  const edgesDays = edgesDaysOf(stream);
  if (edgesDays.length === 0 || updatedAfter !== null) return [whole];
  const lower = stream.params.from_date ? Date.parse(stream.params.from_date) : Number.NEGATIVE_INFINITY;
  const upper = stream.params.to_date ? Date.parse(stream.params.to_date) : Number.POSITIVE_INFINITY;
  const anchor = Math.floor(startedAt / 1000) * 1000;
  const edges = edgesDays.map((days) => anchor - days * DAY_MS).filter((edge) => edge > lower && edge < upper);
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
