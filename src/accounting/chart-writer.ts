/**
 * @module Carries out a chart plan (chart-plan.ts) on Ramp: creates in batches of at most 500 (Ramp's
 * per-call limit, all-or-nothing; docs/ramp-behaviour.md#chart-of-accounts), custom fields one per
 * call, updates and deletes one per object (four at a time). Order: fields, then creates, then updates, then deletes,
 * so an interrupted job leaves Ramp with a superset of the wanted chart, never a gap.
 *
 * A write Ramp refuses is recorded (with the items Ramp named) and the rest goes on; a refused batch
 * was applied by Ramp in none of its items. After each call the caller's `checkpoint` saves progress
 * and renews the lease; a crash between a call and its checkpoint is harmless because a resumed job
 * plans again from what Ramp then holds.
 */
import { failpoint } from '../support/failpoint.ts';
import { chartWriteCall, type ChartWriteResult, type RampRefusal } from '../ramp/endpoints/accounting-chart.ts';
import type { RampClient } from '../ramp/ramp-client.ts';
import type { ChartKind, DesiredField } from './chart-model.ts';
import type { ChartPlan, DeleteOp, UpdateOp } from './chart-plan.ts';
import type { ChartJobProgress, RefusedItem, RefusedWrite } from './chart-progress.ts';

/** PATCH and DELETE calls in flight at once. */
const SINGLE_WRITES_AT_ONCE = 4;

/** Ramp's per-call upload limit for GL accounts, vendors and field options. */
export const MAX_BATCH = 500;

/** The process stops right after Ramp answered a batch and before the job saved it (crash tests). */
export const AFTER_BATCH_ANSWER = 'accounting.after_batch_answer';

export interface WriterContext {
  readonly client: RampClient;
  readonly businessId: string;
  readonly progress: ChartJobProgress;
  readonly signal?: AbortSignal;
  /** Saves progress and renews the lease; throws when the lease is lost. */
  checkpoint(): Promise<void>;
}

/** Fields are posted before options: an option needs its field's Ramp id. */
const PATHS: Record<ChartKind, string> = { gl_account: 'accounts', vendor: 'vendors', custom_field: 'fields', field_option: 'field-options' };
const LIST_KEY: Record<'gl_account' | 'vendor' | 'field_option', string> = { gl_account: 'gl_accounts', vendor: 'vendors', field_option: 'options' };

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Ramp's field errors (`gl_accounts.3.name`) attributed to the items of the batch. */
function itemsOfRefusedBatch(listKey: string, ids: readonly string[], refusal: RampRefusal): RefusedItem[] {
  const problems = new Map<number, string[]>();
  for (const [path, messages] of Object.entries(refusal.fieldErrors)) {
    const match = new RegExp(`^${listKey}\\.(\\d+)(?:\\.(.+))?$`).exec(path);
    if (!match) continue;
    const index = Number(match[1]);
    const field = match[2] ?? 'item';
    problems.set(index, [...(problems.get(index) ?? []), ...messages.map((m) => `${field}: ${m}`)]);
  }
  return ids.map((id, index) => ({ id, problems: problems.get(index) ?? [] }));
}

function flatProblems(refusal: RampRefusal): string[] {
  const fromFields = Object.entries(refusal.fieldErrors).flatMap(([field, messages]) => messages.map((m) => `${field}: ${m}`));
  return fromFields.length > 0 ? fromFields : refusal.message ? [refusal.message] : [];
}

function refused(kind: ChartKind, operation: RefusedWrite['operation'], refusal: RampRefusal, items: RefusedItem[], fieldId?: string): RefusedWrite {
  return { kind, operation, ...(fieldId === undefined ? {} : { field_id: fieldId }), ramp_status: refusal.status, ramp_code: refusal.rampCode, message: refusal.message, items };
}

export class ChartWriter {
  readonly #ctx: WriterContext;

  constructor(ctx: WriterContext) {
    this.#ctx = ctx;
  }

  async #write(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<ChartWriteResult> {
    const { client, businessId, signal } = this.#ctx;
    const result = await client.call(businessId, chartWriteCall(method, path, body), signal ? { signal } : {});
    this.#ctx.progress.ramp_calls.writes++;
    return result;
  }

  async apply(plan: ChartPlan): Promise<void> {
    const fieldRampIds = await this.#createFields(plan.custom_fields.creates);
    await this.#createBatches('gl_account', plan.gl_accounts.creates);
    await this.#createBatches('vendor', plan.vendors.creates, (item) => item.code);
    for (const options of plan.field_options) {
      const fieldRampId = options.fieldRampId ?? fieldRampIds.get(options.fieldId);
      // The field itself was refused: its options were not sent (the field is reported).
      if (!fieldRampId) continue;
      await this.#createBatches('field_option', options.creates, undefined, { field_id: fieldRampId }, options.fieldId);
    }
    await this.#updates('custom_field', plan.custom_fields.updates);
    await this.#updates('gl_account', plan.gl_accounts.updates);
    await this.#updates('vendor', plan.vendors.updates);
    for (const options of plan.field_options) await this.#updates('field_option', options.updates, options.fieldId);
    for (const options of plan.field_options) await this.#deletes('field_option', options.deletes, options.fieldId);
    await this.#deletes('custom_field', plan.custom_fields.deletes);
    await this.#deletes('gl_account', plan.gl_accounts.deletes);
    await this.#deletes('vendor', plan.vendors.deletes);
  }

  /** One POST per field; an inactive field with the same id is reactivated by Ramp. Returns product id → Ramp id. */
  async #createFields(fields: readonly DesiredField[]): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for (const field of fields) {
      const { options: _options, ...body } = field;
      const result = await this.#write('POST', PATHS.custom_field, body);
      if (result.ok) {
        const rampId = (result.value as { ramp_id?: unknown } | null)?.ramp_id;
        if (typeof rampId === 'string') ids.set(field.id, rampId);
        this.#ctx.progress.done.creates++;
      } else {
        this.#ctx.progress.refused.push(refused('custom_field', 'create', result.refusal, [{ id: field.id, problems: flatProblems(result.refusal) }]));
      }
      await this.#ctx.checkpoint();
    }
    return ids;
  }

  /**
   * Batches of ≤ 500. `codeOf`: vendors are uploaded without a code (Ramp's upload takes id and
   * name only), so a wanted code is set by PATCH on the new object right after.
   */
  async #createBatches<T extends { id: string }>(kind: 'gl_account' | 'vendor' | 'field_option', items: readonly T[], codeOf?: (item: T) => string | undefined, extra: Record<string, unknown> = {}, fieldId?: string): Promise<void> {
    const listKey = LIST_KEY[kind];
    for (const batch of chunks(items, MAX_BATCH)) {
      const body = { ...extra, [listKey]: batch.map((item) => (codeOf ? { id: item.id, name: (item as unknown as { name: string }).name } : item)) };
      const result = await this.#write('POST', PATHS[kind], body);
      await failpoint(AFTER_BATCH_ANSWER);
      if (!result.ok) {
        this.#ctx.progress.refused.push(refused(kind, 'create', result.refusal, itemsOfRefusedBatch(listKey, batch.map((item) => item.id), result.refusal), fieldId));
        await this.#ctx.checkpoint();
        continue;
      }
      this.#ctx.progress.done.creates += batch.length;
      await this.#ctx.checkpoint();
      if (codeOf) await this.#setCodes(kind, batch, result.value, codeOf);
    }
  }

  async #setCodes<T extends { id: string }>(kind: ChartKind, batch: readonly T[], answer: unknown, codeOf: (item: T) => string | undefined): Promise<void> {
    const created = (answer as Record<string, unknown> | null)?.[LIST_KEY[kind as 'vendor']];
    if (!Array.isArray(created)) return;
    const rampIdOf = new Map(created.map((c: { id?: unknown; ramp_id?: unknown }) => [String(c.id), String(c.ramp_id)]));
    const updates: UpdateOp[] = [];
    for (const item of batch) {
      const code = codeOf(item);
      const rampId = rampIdOf.get(item.id);
      if (code !== undefined && code !== '' && rampId) updates.push({ id: item.id, rampId, body: { code } });
    }
    await this.#updates(kind, updates);
  }

  async #updates(kind: ChartKind, updates: readonly UpdateOp[], fieldId?: string): Promise<void> {
    await this.#singles(updates, async (update) => {
      const result = await this.#write('PATCH', `${PATHS[kind]}/${update.rampId}`, update.body);
      if (result.ok) this.#ctx.progress.done.updates++;
      else this.#ctx.progress.refused.push(refused(kind, 'update', result.refusal, [{ id: update.id, problems: flatProblems(result.refusal) }], fieldId));
    });
  }

  async #deletes(kind: ChartKind, deletes: readonly DeleteOp[], fieldId?: string): Promise<void> {
    await this.#singles(deletes, async (op) => {
      const result = await this.#write('DELETE', `${PATHS[kind]}/${op.rampId}`);
      // Already gone (deleted meanwhile): the wanted state holds.
      if (result.ok || result.refusal.status === 404) this.#ctx.progress.done.deletes++;
      else this.#ctx.progress.refused.push(refused(kind, 'delete', result.refusal, [{ id: op.id, problems: flatProblems(result.refusal) }], fieldId));
    });
  }

  /**
   * One call per object, SINGLE_WRITES_AT_ONCE at a time: each is independent and idempotent (PATCH
   * to a value, DELETE), and a chart's worth of them one after another would take minutes at Ramp's
   * latency. The connection's rate limiter (src/ramp/rate-limiter.ts) still paces them.
   */
  async #singles<T>(ops: readonly T[], write: (op: T) => Promise<void>): Promise<void> {
    for (const group of chunks(ops, SINGLE_WRITES_AT_ONCE)) {
      await Promise.all(group.map(write));
      await this.#ctx.checkpoint();
    }
  }
}
