/**
 * @module Runs one claimed sync: every stream of the plan (sync-plan.ts) in order, page by page.
 *
 * - A stream's run reads `updated_after` = last completed run's start − overlap (incremental) or
 *   everything (full). A run interrupted by a crash resumes from its stored `page.next`, and is then
 *   followed by one incremental catch-up pass, so records that changed while the process was down are
 *   not left for the next sync.
 * - Pages are fetched ahead while earlier ones are stored, large first reads in concurrent segments
 *   (segments.ts, page-pipeline.ts).
 * - Errors: a stream Ramp refuses (403 missing scope → `skipped`; other 4xx → `failed`) does not stop
 *   the others; its resource is listed in `progress.skipped` with the reason and the scope to enable
 *   (read from the error's fields, never its text), and the sync ends `partial`, not `completed`. A stream that loses Ramp (5xx/timeouts after the client's retries) is read on from its
 *   stored cursor after a pause, `resumes` times; after that, losing Ramp stops the sync, as does
 *   losing the token (reauthorization) or the lease. A lost lease means another process owns the sync
 *   now: stop writing, say nothing.
 * - The lease is renewed with every page and by a heartbeat while waiting on Ramp.
 * - After the streams, each full-read resource whose every stream this process read to its end has
 *   the records Ramp no longer lists marked deleted (record-deletions.ts); any other outcome deletes nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import { getSyncConfig } from '../connections/sync-config.ts';
import { scopeOfResource } from '../connections/sync-scopes.ts';
import type { Dialect } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { EventSink } from '../events/event-sink.ts';
import { ApiError } from '../core/errors.ts';
import { NOTHING_SAVED, RampAnswerError } from '../ramp/ramp-errors.ts';
import { metrics } from '../metrics/registry.ts';
import { isUnderApiBase } from '../ramp/api-base.ts';
import type { RampClient } from '../ramp/ramp-client.ts';
import { PART_BYTES, StoredParts } from '../ramp/kept-array-scanner.ts';
import type { AccessTokenProvider } from '../ramp/access-token-provider.ts';
import { keepAttached } from './attached-records.ts';
import { commitPage, hashData, LeaseLostError, linkRampBusiness, type PreparedRecord } from './page-commit.ts';
import { pumpPages } from './page-pipeline.ts';
import { markMissingDeleted } from './record-deletions.ts';
import { partSink, sweepOrphanParts } from './record-parts.ts';
import { freshCursor, loadCursor, type StreamCursor, type StreamRun } from './stream-cursor.ts';
import { SeenIds } from './seen-ids.ts';
import { planSegments, segmentConcurrency } from './segments.ts';
import { planSync, type SyncStream } from './sync-plan.ts';
import { addSkipped, parseProgress, resourceProgress, setStreamStatus, type SkippedResource, type SyncProgress } from './sync-progress.ts';
import { finishSync, releaseLease, renewLease, type SyncRow } from './syncs-repo.ts';

export interface SyncRunnerSettings {
  /** Ramp `page_size` (docs/ramp-behaviour.md#pagination: 2–100). */
  readonly pageSize: number;
  readonly leaseMs: number;
  /** Re-read window before the last run's start, for clock skew and late commits on Ramp's side. */
  readonly overlapMs: number;
  /** Times a stream that lost Ramp is read on from its cursor before the sync fails, `resumePauseMs` × n apart. */
  readonly resumes: number;
  readonly resumePauseMs: number;
  /** Bytes per stored part of a field stored apart (record-parts.ts); tests make it small. */
  readonly partBytes: number;
}

export const DEFAULT_RUNNER_SETTINGS: SyncRunnerSettings = Object.freeze({ pageSize: 100, leaseMs: 30_000, overlapMs: 10 * 60_000, resumes: 2, resumePauseMs: 2_000, partBytes: PART_BYTES });

export interface SyncRunnerDeps {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly client: RampClient;
  readonly tokens: AccessTokenProvider;
  readonly events: EventSink;
  readonly log: Logger;
  readonly now: () => number;
  readonly settings: SyncRunnerSettings;
  /** Called after each stored page (the CLI draws its progress bar with it). */
  readonly onProgress?: (progress: SyncProgress) => void;
  /** Aborted when this process shuts down: the sync is paused and handed back, not failed. */
  readonly stopSignal?: AbortSignal;
}

/** The process is stopping; the sync resumes wherever it is claimed next. */
export class SyncStoppedError extends Error {
  constructor() {
    super('sync paused: the process is stopping');
    this.name = 'SyncStoppedError';
  }
}

/** Ramp refused this stream (not a failure of the whole sync). */
function isStreamError(error: unknown): error is ApiError {
  return error instanceof ApiError && error.code === 'ramp_error';
}

/**
 * Ramp failing, not refusing: 5xx, network errors and timeouts that outlasted the client's retries.
 * With 20% of answers failing, one call gives up after 6 attempts 1 time in 15,600; a sync of a few
 * hundred calls met that in CI. Worth another try from the cursor; a refusal (4xx) is not.
 */
function isRampOutage(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.code === 'ramp_unavailable' || error.code === 'ramp_timeout');
}

function isMissingScope(error: ApiError): boolean {
  return error instanceof RampAnswerError && error.isMissingScope;
}

/** What a refused stream tells the user: the scope Ramp named, else the one its resource needs. */
function skippedEntry(resource: string, error: ApiError): SkippedResource {
  if (!isMissingScope(error)) return { resource, reason: 'ramp_error', missing_scope: null, detail: error.detail };
  const named = error instanceof RampAnswerError ? error.ramp.missingScope : null;
  return { resource, reason: 'missing_scope', missing_scope: named ?? scopeOfResource(resource), detail: error.detail };
}

/**
 * The failed sync's `error`: the code and what went wrong. A request Ramp failed saved nothing and says
 * so; a sync kept every page it stored before the failure (page-commit.ts), so it says that instead.
 */
function syncErrorText(failure: ApiError): string {
  const suffix = `; ${NOTHING_SAVED}`;
  if (!failure.detail.endsWith(suffix)) return `${failure.code}: ${failure.detail}`;
  return `${failure.code}: ${failure.detail.slice(0, -suffix.length)}; the records stored before it are kept.`;
}

/** `failed`: the sync stopped; `partial`: it ran to the end but Ramp refused some resources. */
function outcomeOf(failure: unknown, progress: SyncProgress): 'completed' | 'partial' | 'failed' {
  if (failure) return 'failed';
  return progress.skipped.length > 0 ? 'partial' : 'completed';
}

class SyncRun {
  readonly #deps: SyncRunnerDeps;
  readonly #sync: SyncRow;
  readonly #owner: string;
  readonly #abort = new AbortController();
  #progress: SyncProgress;
  /** Ids each full-read resource returned in this run (record-deletions.ts). */
  readonly #seen = new Map<string, SeenIds>();
  /** Streams read to their end by this process in this run (not before a crash). */
  readonly #readHere = new Set<string>();

  constructor(deps: SyncRunnerDeps, sync: SyncRow, owner: string) {
    this.#deps = deps;
    this.#sync = sync;
    this.#owner = owner;
    this.#progress = parseProgress(sync.progress);
  }

  readonly #onStop = () => this.#abort.abort(new SyncStoppedError());

  get #businessId(): string {
    return this.#sync.business_id;
  }

  async run(): Promise<SyncRow | undefined> {
    const { db, log, now, settings, stopSignal } = this.#deps;
    // The stop signal is the process's, shared by every sync it runs: the listener is removed when this
    // run ends, or each finished sync would stay reachable from it for the life of the process.
    stopSignal?.addEventListener('abort', this.#onStop, { once: true });
    if (stopSignal?.aborted) this.#onStop();
    const heartbeat = setInterval(() => void this.#heartbeat(), Math.max(250, Math.floor(settings.leaseMs / 3)));
    heartbeat.unref();
    let failure: ApiError | Error | undefined;
    try {
      await this.#runStreams();
    } catch (error) {
      if (error instanceof LeaseLostError || this.#abort.signal.aborted) {
        if (this.#abort.signal.reason instanceof SyncStoppedError) {
          await releaseLease(db, this.#sync.id, this.#owner, now()).catch(() => undefined);
          log.info({ sync_id: this.#sync.id }, 'sync paused; it resumes where it is claimed next');
        } else {
          log.warn({ sync_id: this.#sync.id }, 'sync lease lost; another process continues it');
        }
        return undefined;
      }
      failure = error as Error;
    } finally {
      clearInterval(heartbeat);
      stopSignal?.removeEventListener('abort', this.#onStop);
    }
    const status = outcomeOf(failure, this.#progress);
    const error = failure instanceof ApiError ? syncErrorText(failure) : failure ? 'internal_error: the sync stopped unexpectedly' : null;
    if (failure && !(failure instanceof ApiError)) log.error({ err: failure, sync_id: this.#sync.id }, 'sync crashed');
    const finished = await finishSync(db, { syncId: this.#sync.id, owner: this.#owner, status, progress: JSON.stringify(this.#progress), error, now: now() });
    if (!finished) return undefined;
    recordSyncFinished(finished);
    const summary = { sync_id: finished.id, status, trigger: finished.trigger, pages: this.#progress.pages, records: this.#progress.records, changed: this.#progress.changed, resources: this.#progress.resources, skipped: this.#progress.skipped };
    // A partial sync is a `sync.completed` with `status: "partial"` and its `skipped` list: what it read is stored and usable.
    await this.#deps.events
      .emit(this.#businessId, status === 'failed' ? 'sync.failed' : 'sync.completed', status === 'failed' ? { ...summary, error, errors: this.#progress.errors } : summary)
      .catch((emitError: unknown) => log.error({ err: emitError, sync_id: finished.id }, 'could not record the sync event'));
    return finished;
  }

  async #heartbeat(): Promise<void> {
    const { db, now, settings } = this.#deps;
    try {
      if (!(await renewLease(db, this.#sync.id, this.#owner, now() + settings.leaseMs, now()))) this.#abort.abort(new LeaseLostError(this.#sync.id));
    } catch {
      // A failed heartbeat is retried on the next beat; the page commits renew the lease too.
    }
  }

  async #runStreams(): Promise<void> {
    const { db, tokens, now } = this.#deps;
    // Parts of earlier reads that never committed (record-parts.ts); none of this run's exist yet.
    await sweepOrphanParts(db, this.#businessId, now());
    const config = await getSyncConfig(db, this.#businessId);
    const plan = planSync(config);
    this.#progress.not_supported = [...plan.unsupported];
    // Fails fast (ramp_not_connected / reauthorization_required) before any stream is marked.
    const access = await tokens.getAccess(this.#businessId);
    const keysByResource = new Map<string, string[]>();
    for (const stream of plan.streams) keysByResource.set(stream.resource, [...(keysByResource.get(stream.resource) ?? []), stream.key]);
    for (const stream of plan.streams) {
      const status = this.#progress.streams[stream.key];
      if (status === 'done' || status === 'skipped' || status === 'failed') continue; // done before a crash
      const keys = keysByResource.get(stream.resource)!;
      setStreamStatus(this.#progress, stream.key, stream.resource, 'running', keys);
      try {
        await this.#runStreamResuming(stream, access.apiBaseUrl);
        this.#readHere.add(stream.key);
        setStreamStatus(this.#progress, stream.key, stream.resource, 'done', keys);
      } catch (error) {
        if (!isStreamError(error)) throw error;
        const skipped = isMissingScope(error);
        setStreamStatus(this.#progress, stream.key, stream.resource, skipped ? 'skipped' : 'failed', keys);
        this.#progress.errors.push({ stream: stream.key, code: error.code, detail: error.detail });
        addSkipped(this.#progress, skippedEntry(stream.resource, error));
        this.#deps.log.warn({ sync_id: this.#sync.id, stream: stream.key, code: error.code }, skipped ? 'stream skipped' : 'stream failed');
      }
    }
    await this.#markDeletions(plan.streams, keysByResource);
  }

  /**
   * For each full-read resource every stream of which this process read to its end: records Ramp no
   * longer lists are marked deleted. A resource skipped, failed, or partly read before a crash is left alone.
   */
  async #markDeletions(streams: readonly SyncStream[], keysByResource: ReadonlyMap<string, string[]>): Promise<void> {
    const { db, now, settings } = this.#deps;
    const resources = new Set(streams.filter((s) => s.descriptor.deletion === 'missing-from-full-read' && s.mode === 'full').map((s) => s.resource));
    for (const resource of resources) {
      if (!keysByResource.get(resource)!.every((key) => this.#readHere.has(key))) continue;
      const at = now();
      const deleted = await markMissingDeleted(db, {
        businessId: this.#businessId, syncId: this.#sync.id, owner: this.#owner, leaseUntil: at + settings.leaseMs,
        resource, seen: this.#seen.get(resource) ?? new SeenIds(), now: at,
      });
      this.#seen.delete(resource);
      if (deleted > 0) {
        resourceProgress(this.#progress, resource).deleted = deleted;
        this.#deps.log.info({ sync_id: this.#sync.id, resource, deleted }, 'records Ramp no longer lists marked deleted');
      }
    }
  }

  /**
   * Runs a stream; when Ramp fails mid-way, reads on from the stored cursor after a pause. Safe because
   * `pumpPages` rejects only once every fetcher and the writer have stopped, and each commit stored the
   * cursor of exactly the pages it holds: nothing is read twice into the table, nothing is skipped.
   */
  async #runStreamResuming(stream: SyncStream, apiBaseUrl: string): Promise<void> {
    const { log, settings } = this.#deps;
    for (let resume = 1; ; resume++) {
      try {
        return await this.#runStream(stream, apiBaseUrl);
      } catch (error) {
        if (!isRampOutage(error) || resume > settings.resumes || this.#abort.signal.aborted) throw error;
        log.warn({ sync_id: this.#sync.id, stream: stream.key, code: error.code, resume }, 'Ramp failed mid-stream; reading on from the stored cursor');
        await sleep(settings.resumePauseMs * resume, undefined, { signal: this.#abort.signal });
      }
    }
  }

  async #runStream(stream: SyncStream, apiBaseUrl: string): Promise<void> {
    const { db, client, now, settings } = this.#deps;
    if (stream.descriptor.rampPath === 'business') {
      const business = await client.getBusiness(this.#businessId, { signal: this.#abort.signal });
      await linkRampBusiness(db, this.#businessId, business.id, now());
      await this.#store(stream, this.#prepare(stream, [business]), { ...freshCursor(stream.fingerprint), completedRunStartedAt: now() }, 1);
      return;
    }
    let cursor = await loadCursor(db, this.#businessId, stream.key);
    if (!cursor || cursor.fingerprint !== stream.fingerprint) cursor = freshCursor(stream.fingerprint);
    // Full streams restart from the first page: they are small, and a restart misses nothing.
    const resumable = (run: StreamRun) => run.segments.every((segment) => segment.next === null || isUnderApiBase(segment.next, apiBaseUrl));
    const interrupted = stream.mode === 'incremental' && cursor.run !== null && resumable(cursor.run) ? cursor.run : null;
    const since = cursor.completedRunStartedAt ?? (stream.incrementalFilter === 'synced_after' ? now() : null);
    // A first `synced_after` read starts at this run: the resource's own stream reads everything before it.
    const updatedAfter = stream.mode === 'incremental' && since !== null ? new Date(since - settings.overlapMs).toISOString() : null;
    const first = interrupted ?? this.#newRun(stream, now(), updatedAfter);
    cursor = await this.#readRun(stream, { ...cursor, run: first });
    if (interrupted) {
      // Catch-up pass after a resumed run: everything updated since the interrupted run began.
      await this.#readRun(stream, { ...cursor, run: this.#newRun(stream, now(), new Date(interrupted.startedAt - settings.overlapMs).toISOString()) });
    }
  }

  #newRun(stream: SyncStream, startedAt: number, updatedAfter: string | null): StreamRun {
    return { startedAt, updatedAfter, segments: planSegments(stream, startedAt, updatedAfter) };
  }

  /**
   * Reads one run to its end (segments concurrently, stored in group commits: page-pipeline.ts) and
   * returns the completed cursor. The cursor stored with each commit reflects exactly the pages in
   * it and before it, segment by segment.
   */
  async #readRun(stream: SyncStream, cursor: StreamCursor): Promise<StreamCursor> {
    const { client, settings } = this.#deps;
    const run = cursor.run!;
    const segments = run.segments.map((segment) => ({ ...segment }));
    const baseParams = { ...stream.params, page_size: settings.pageSize, ...(run.updatedAfter ? { [stream.incrementalFilter ?? 'updated_after']: run.updatedAfter } : {}) };
    const resource = stream.descriptor.rampPath;
    let current = cursor;
    await pumpPages({
      client,
      businessId: this.#businessId,
      callOptions: { signal: this.#abort.signal },
      segments: segments.flatMap((segment, index) => {
        if (segment.done) return [];
        const params = { ...baseParams, ...(segment.from ? { from_date: segment.from } : {}), ...(segment.to ? { to_date: segment.to } : {}) };
        return [{ index, start: segment.next !== null ? { next: segment.next } : { resource, params } }];
      }),
      prepare: (records) => this.#prepare(stream, records),
      ...(stream.descriptor.storedApart ? { kept: { keys: stream.descriptor.storedApart, sink: partSink(this.#deps.db, this.#businessId, this.#deps.now), partBytes: settings.partBytes } } : {}),
      weigh: (prepared) => prepared.reduce((bytes, record) => bytes + record.data.length, 0),
      concurrency: segmentConcurrency(stream),
      store: async (batch) => {
        for (const { segment, next } of batch) segments[segment] = { ...segments[segment]!, next, done: next === null };
        current = segments.every((segment) => segment.done)
          ? { v: 1, fingerprint: stream.fingerprint, completedRunStartedAt: run.startedAt, run: null }
          : { ...current, run: { ...run, segments: segments.map((segment) => ({ ...segment })) } };
        const records = batch.flatMap(({ items }) => items);
        await this.#store(stream, stream.attached ? await keepAttached(this.#deps.db, this.#businessId, stream.attached, records) : records, current, batch.length);
      },
    });
    return current;
  }

  /** What is stored of Ramp's records: the stream's filter applied, columns projected, JSON text and its hash. */
  #prepare(stream: SyncStream, records: readonly Record<string, unknown>[]): PreparedRecord[] {
    const { derive, project, deletion } = stream.descriptor;
    const seen = deletion === 'missing-from-full-read' && stream.mode === 'full' ? this.#seenOf(stream.resource) : null;
    const prepared: PreparedRecord[] = [];
    for (const rampRecord of records) {
      const record = derive ? derive(rampRecord) : rampRecord;
      if (record === null) continue;
      // Before the local filters: a record Ramp lists but this configuration leaves out is not deleted.
      seen?.add(String(record.id));
      const columns = project(record);
      if (stream.keep && !stream.keep(columns)) continue;
      if (stream.descriptor.storedApart) {
        prepared.push(withStoredParts(String(record.id), record, columns));
        continue;
      }
      const data = JSON.stringify(record);
      prepared.push({ id: String(record.id), data, hash: hashData(data), columns });
    }
    return prepared;
  }

  #seenOf(resource: string): SeenIds {
    let seen = this.#seen.get(resource);
    if (!seen) this.#seen.set(resource, (seen = new SeenIds()));
    return seen;
  }

  async #store(stream: SyncStream, prepared: readonly PreparedRecord[], cursor: StreamCursor, pages = 1): Promise<void> {
    const { db, now, settings } = this.#deps;
    let next: SyncProgress | undefined;
    const at = now();
    await commitPage(db, this.#deps.dialect, {
      businessId: this.#businessId,
      syncId: this.#sync.id,
      owner: this.#owner,
      leaseUntil: at + settings.leaseMs,
      resource: stream.resource,
      streamKey: stream.key,
      records: prepared,
      cursor,
      now: at,
      readAt: cursor.run?.startedAt ?? cursor.completedRunStartedAt ?? at,
      progress: ({ changed }) => {
        next = structuredClone(this.#progress);
        next.pages += pages;
        next.records += prepared.length;
        next.changed += changed;
        const resource = resourceProgress(next, stream.resource);
        resource.pages += pages;
        resource.records += prepared.length;
        resource.changed += changed;
        return next;
      },
    });
    metrics.syncRecords.inc({ resource: stream.resource }, prepared.length);
    metrics.syncRecordsChanged.inc({ resource: stream.resource }, next!.changed - this.#progress.changed);
    this.#progress = next!;
    this.#deps.onProgress?.(this.#progress);
  }
}

/**
 * A record whose array fields were stored in parts while its page was read: `data` is the rest, the
 * hash covers the rest and the parts' hashes (an unchanged statement is not rewritten), and the
 * record points to the parts' generation (record-parts.ts).
 */
export function withStoredParts(id: string, record: Record<string, unknown>, columns: PreparedRecord['columns']): PreparedRecord {
  const rest: Record<string, unknown> = {};
  let generation: string | null = null;
  let partsHashes = '';
  for (const [key, value] of Object.entries(record)) {
    if (value instanceof StoredParts) {
      generation = value.generation;
      partsHashes += `\u0000${key}\u0000${value.hash}`;
    } else rest[key] = value;
  }
  const data = JSON.stringify(rest);
  return { id, data, hash: generation === null ? hashData(data) : hashData(data + partsHashes), columns, partsGeneration: generation };
}

/** Metrics of a finished sync: its outcome, how long it ran, and how long it waited to start. */
function recordSyncFinished(sync: SyncRow): void {
  const labels = { trigger: sync.trigger, status: sync.status };
  metrics.syncs.inc(labels);
  if (sync.started_at === null) return;
  if (sync.finished_at !== null) metrics.syncDuration.observe(labels, Math.max(0, sync.finished_at - sync.started_at) / 1000);
  metrics.syncQueueLag.observe({ trigger: sync.trigger }, Math.max(0, sync.started_at - sync.created_at) / 1000);
}

/** Runs a sync this process has claimed; resolves to the finished row, or undefined if the lease was lost. */
export function runClaimedSync(deps: SyncRunnerDeps, sync: SyncRow, owner: string): Promise<SyncRow | undefined> {
  return new SyncRun(deps, sync, owner).run();
}
