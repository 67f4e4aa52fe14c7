/**
 * @module The worker behind Ramp webhooks (docs/ramp-webhooks-plan.md#processing): claims received
 * event rows (any replica, src/core/claim-due.ts), reads the object by id with the connection's token
 * and stores it with the sync's own projection and upsert (src/sync/page-commit.ts `upsertRecords`),
 * marking the event processed in the same transaction.
 *
 * Order does not matter: what is stored is what Ramp says now, not what the event says, and the upsert
 * keeps the row read last (its `ramp_read_at`), so a late `authorized` never overwrites a `cleared`.
 * A record the business's sync configuration leaves out is not stored (the plan of src/sync/sync-plan.ts
 * decides, as for a sync). Ramp errors are retried with backoff; past the last attempt the event is
 * given up and the next incremental sync is the backstop.
 */
import type { AppContext } from '../app-context.ts';
import { getSyncConfig } from '../connections/sync-config.ts';
import { claimDue } from '../core/claim-due.ts';
import { ApiError } from '../core/errors.ts';
import { NOT_FOUND, objectByIdCall } from '../ramp/endpoints/webhook-subscriptions.ts';
import type { RampClient } from '../ramp/ramp-client.ts';
import { RAMP_RESOURCES } from '../ramp/resource-descriptors.ts';
import { fullJitterDelay } from '../support/backoff.ts';
import { CoalescedPass } from '../support/coalesced-pass.ts';
import { hashData, upsertRecords, type PreparedRecord } from '../sync/page-commit.ts';
import { planSync, type SyncStream } from '../sync/sync-plan.ts';
import type { RecordColumns } from '../sync/record-projection.ts';
import { resourceOfEventType } from './event-types.ts';
import type { RampWebhookEventsTable } from './webhook-schema.ts';

const CLAIM_MS = 60_000;
const BATCH = 32;
/** Fetches in flight per replica. */
const CONCURRENCY = 8;
const MAX_ATTEMPTS = 8;
const RETRY_BACKOFF = { baseMs: 1_000, capMs: 5 * 60_000 } as const;
/** Kept longer than Ramp's retries last (docs/ramp-webhooks-plan.md), so a late retry is still recognised. */
export const EVENT_RETENTION_MS = 7 * 24 * 3600_000;

type EventRow = RampWebhookEventsTable;

interface Finished {
  readonly row: EventRow;
  readonly outcome: 'stored' | 'not_found' | 'ignored';
  readonly writes: readonly { resource: string; prepared: PreparedRecord; readAt: number }[];
}

/** Whether a sync with this plan would store a record of `resource` with these columns. */
function planAdmits(streams: readonly SyncStream[], columns: RecordColumns): boolean {
  return streams.some((stream) => {
    if (stream.keep && !stream.keep(columns)) return false;
    const { params } = stream;
    for (const dimension of ['card_id', 'user_id', 'department_id'] as const) {
      const wanted = params[dimension];
      if (typeof wanted === 'string' && columns[dimension] !== wanted) return false;
    }
    // The window on the record's own time, in whichever of Ramp's filters the list takes it (resource-descriptors.ts `dateWindow`).
    const window = stream.descriptor.dateWindow;
    if (typeof window !== 'object') return true;
    const from = params[window.from];
    const to = params[window.to];
    if (typeof from === 'string' && columns.occurred_at < Date.parse(from)) return false;
    if (typeof to === 'string' && columns.occurred_at > Date.parse(to)) return false;
    return true;
  });
}

export class EventProcessor {
  readonly #ctx: AppContext;
  readonly #client: RampClient;
  /** Drains due events in the background; a kick while draining (an event accepted meanwhile) makes it look again. */
  readonly #pass: CoalescedPass;

  constructor(ctx: AppContext, client: RampClient) {
    this.#ctx = ctx;
    this.#client = client;
    this.#pass = new CoalescedPass(() => this.drain(), (error) => this.#ctx.log.error({ err: error }, 'Ramp webhook event pass failed'));
  }

  /**
   * No further passes (the process is closing); the running one gives up its Ramp reads, stores what
   * it has read, and is awaited. Events it claimed and did not store are claimed again once the claim lapses.
   */
  stop(): Promise<void> {
    return this.#pass.stop();
  }

  /** Drains due events in the background; a call while draining makes it look again. Never throws. */
  kick(): void {
    this.#pass.kick();
  }

  /**
   * Claims and processes due events until none is left. Returns how many were handled. A claimed
   * batch is fetched concurrently and stored in one transaction: one commit per batch, not per event.
   */
  async drain(): Promise<number> {
    const stopped = this.#pass.signal;
    let handled = 0;
    while (!stopped.aborted) {
      const rows = await this.#claim();
      if (rows.length === 0) return handled;
      const done: Finished[] = [];
      let next = 0;
      const worker = async () => {
        while (next < rows.length && !stopped.aborted) {
          const row = rows[next++]!;
          try {
            done.push(await this.#read(row, stopped));
          } catch (error) {
            // Stopping is not the event's fault: its claim lapses and a replica reads it again.
            if (!stopped.aborted) await this.#retryLater(row, error);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, rows.length) }, worker));
      await this.#finish(done);
      handled += rows.length;
    }
    return handled;
  }

  async #claim(): Promise<EventRow[]> {
    const { db, now } = this.#ctx;
    const at = now();
    return (await claimDue(db.kysely, db.dialect, {
      table: 'ramp_webhook_events',
      key: 'id',
      due: (q) => q.where('next_attempt_at', '<=', at).orderBy('next_attempt_at').limit(BATCH),
      set: { next_attempt_at: at + CLAIM_MS, attempts: (eb) => eb('attempts', '+', 1) },
      recheck: (q) => q.where('next_attempt_at', '<=', at),
    })
      .returningAll()
      .execute()) as EventRow[];
  }

  async #retryLater(row: EventRow, error: unknown): Promise<void> {
    const code = error instanceof ApiError ? error.code : 'internal_error';
    const gaveUp = row.attempts >= MAX_ATTEMPTS;
    this.#ctx.log.warn({ err: error, business_id: row.business_id, event_type: row.type, attempt: row.attempts, gave_up: gaveUp }, 'could not store a Ramp webhook event');
    const now = this.#ctx.now();
    await this.#ctx.db.kysely
      .updateTable('ramp_webhook_events')
      .set(gaveUp ? { next_attempt_at: null, processed_at: now, outcome: 'gave_up' } : { next_attempt_at: now + RETRY_BACKOFF.baseMs + fullJitterDelay(row.attempts, RETRY_BACKOFF), outcome: code.slice(0, 32) })
      .where('id', '=', row.id)
      .where('business_id', '=', row.business_id)
      .where('processed_at', 'is', null)
      .execute();
  }

  /** What Ramp holds now for the event's object, prepared as the sync would store it. */
  async #read(row: EventRow, signal: AbortSignal): Promise<Finished> {
    const { db, now } = this.#ctx;
    const resource = resourceOfEventType(row.type);
    const config = await getSyncConfig(db.kysely, row.business_id);
    const descriptor = RAMP_RESOURCES.find((d) => d.resource === resource);
    if (!descriptor || row.object_id === null || !config.sync_enabled) return { row, outcome: 'ignored', writes: [] };
    const plan = planSync(config).streams;
    // Every enabled resource read from the same Ramp list (a bill and its derived payment).
    const targets = RAMP_RESOURCES.filter((d) => d.rampPath === descriptor.rampPath && plan.some((s) => s.resource === d.resource));
    if (targets.length === 0) return { row, outcome: 'ignored', writes: [] };
    const readAt = now();
    const object = await this.#client.call(row.business_id, objectByIdCall(descriptor.rampPath, row.object_id), { deadlineMs: 30_000, maxAttempts: 3, signal });
    if (object === NOT_FOUND) return { row, outcome: 'not_found', writes: [] };
    const writes = targets.flatMap((target) => {
      const record = target.derive ? target.derive(object) : object;
      if (record === null) return [];
      const columns = target.project(record);
      if (!planAdmits(plan.filter((s) => s.resource === target.resource), columns)) return [];
      const data = JSON.stringify(record);
      const prepared: PreparedRecord = { id: String(record.id), data, hash: hashData(data), columns };
      return [{ resource: target.resource, prepared, readAt }];
    });
    return { row, outcome: 'stored', writes };
  }

  /** Stores the records and marks their events processed, in one transaction (a crash between leaves neither). */
  async #finish(done: readonly Finished[]): Promise<void> {
    if (done.length === 0) return;
    const { db, now } = this.#ctx;
    const at = now();
    await db.kysely.transaction().execute(async (trx) => {
      for (const { row, outcome, writes } of done) {
        let changed = 0;
        for (const write of writes) {
          changed += await upsertRecords(trx, db.dialect, { businessId: row.business_id, resource: write.resource, records: [write.prepared], syncId: null, now: at, readAt: write.readAt });
        }
        await trx
          .updateTable('ramp_webhook_events')
          .set({ next_attempt_at: null, processed_at: at, outcome: outcome === 'stored' && changed === 0 ? 'unchanged' : outcome })
          .where('id', '=', row.id)
          .where('business_id', '=', row.business_id)
          .execute();
      }
    });
  }

  /** Forgets events received before the retention period (Ramp's retries are long over). */
  async prune(): Promise<number> {
    const result = await this.#ctx.db.kysely
      .deleteFrom('ramp_webhook_events')
      .where('received_at', '<', this.#ctx.now() - EVENT_RETENTION_MS)
      .where('processed_at', 'is not', null)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
