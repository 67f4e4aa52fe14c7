/**
 * @module The difference between the chart the product wants and the one Ramp holds, as the writes
 * that close it: creates (batched by the writer), updates and deletes. Pure; the same inputs give
 * the same plan, and a chart equal to the desired one gives an empty plan (a repeated PUT writes
 * nothing).
 *
 * Matching is by the product's id (Ramp's `id`). An inactive object on Ramp with a wanted id is
 * reactivated by PATCH `reactivate: true` (or, for a custom field, by POSTing its id again), never
 * created twice. What Ramp's API cannot change (a GL account's classification, a field's
 * input_type and is_required_for: its PATCH takes name, display_name and is_splittable only) is
 * listed as `unchangeable` instead of being written.
 */
import type { DesiredChart, DesiredField, DesiredGlAccount, DesiredOption, DesiredVendor, HeldChart, HeldField } from './chart-model.ts';

export interface UpdateOp {
  readonly id: string;
  readonly rampId: string;
  readonly body: Record<string, unknown>;
}

export interface DeleteOp {
  readonly id: string;
  readonly rampId: string;
}

export interface KindPlan<C> {
  readonly creates: C[];
  readonly updates: UpdateOp[];
  readonly deletes: DeleteOp[];
}

export interface FieldOptionsPlan extends KindPlan<DesiredOption> {
  /** The field's product id; its Ramp id is known once the field exists. */
  readonly fieldId: string;
  readonly fieldRampId: string | null;
}

export interface Unchangeable {
  readonly kind: 'gl_account' | 'custom_field';
  readonly id: string;
  readonly problem: string;
}

export interface ChartPlan {
  readonly gl_accounts: KindPlan<DesiredGlAccount>;
  readonly vendors: KindPlan<DesiredVendor>;
  /** Creates here are single POSTs (Ramp takes one field per call); an inactive field's POST reactivates it. */
  readonly custom_fields: KindPlan<DesiredField>;
  readonly field_options: FieldOptionsPlan[];
  readonly unchangeable: Unchangeable[];
}

export interface PlanCounts {
  creates: number;
  updates: number;
  deletes: number;
}

/**
 * The writes a plan makes. A vendor created with a code is also one update: Ramp's vendor upload takes
 * id and name only, so the writer sets the code by PATCH right after (chart-writer.ts), and a job's
 * `done` then matches its `planned`.
 */
export function planCounts(plan: ChartPlan): PlanCounts {
  const kinds: KindPlan<unknown>[] = [plan.gl_accounts, plan.vendors, plan.custom_fields, ...plan.field_options];
  const vendorCodes = plan.vendors.creates.filter((vendor) => vendor.code !== undefined && vendor.code !== '').length;
  return {
    creates: kinds.reduce((n, k) => n + k.creates.length, 0),
    updates: kinds.reduce((n, k) => n + k.updates.length, vendorCodes),
    deletes: kinds.reduce((n, k) => n + k.deletes.length, 0),
  };
}

export function isEmptyPlan(plan: ChartPlan): boolean {
  const counts = planCounts(plan);
  return counts.creates + counts.updates + counts.deletes === 0;
}

const sameSet = (a: readonly string[], b: readonly string[]) => new Set(a).size === new Set(b).size && a.every((x) => b.includes(x));

/** `code: ""` resets a code on Ramp (docs/ramp-behaviour.md#chart-of-accounts); absent and empty are the same. */
const sameCode = (wanted: string | undefined, held: string | null) => (wanted ?? '') === (held ?? '');

/** Name/code/reactivate: the PATCH body GL accounts, vendors and options share. */
function renameBody(wanted: { name?: string; value?: string; code?: string }, held: { name?: string; value?: string; code: string | null; is_active: boolean }, nameKey: 'name' | 'value'): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (wanted[nameKey] !== held[nameKey]) body[nameKey] = wanted[nameKey];
  if (!sameCode(wanted.code, held.code)) body.code = wanted.code ?? '';
  if (!held.is_active) body.reactivate = true;
  return body;
}

function planKind<W extends { id: string }, H extends { id: string; ramp_id: string; is_active: boolean }>(
  wanted: readonly W[],
  held: readonly H[],
  skip: ReadonlySet<string>,
  update: (w: W, h: H) => Record<string, unknown>,
): KindPlan<W> {
  const byId = new Map(held.map((h) => [h.id, h]));
  const wantedIds = new Set(wanted.map((w) => w.id));
  const plan: KindPlan<W> = { creates: [], updates: [], deletes: [] };
  for (const w of wanted) {
    if (skip.has(w.id)) continue;
    const h = byId.get(w.id);
    if (!h) {
      plan.creates.push(w);
      continue;
    }
    const body = update(w, h);
    if (Object.keys(body).length > 0) plan.updates.push({ id: w.id, rampId: h.ramp_id, body });
  }
  for (const h of held) if (h.is_active && !wantedIds.has(h.id) && !skip.has(h.id)) plan.deletes.push({ id: h.id, rampId: h.ramp_id });
  return plan;
}

function fieldBody(w: DesiredField, h: HeldField): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (w.name !== h.name) body.name = w.name;
  // Ramp shows the name when no display name was given.
  const display = w.display_name === undefined ? w.name : w.display_name;
  if (display !== h.display_name) body.display_name = display;
  if ((w.is_splittable ?? false) !== h.is_splittable) body.is_splittable = w.is_splittable ?? false;
  return body;
}

/** Skip keys are `<kind>:<id>` (`field_option:<field id>/<option id>` for options): items Ramp refused earlier in this job. */
export function planChart(desired: DesiredChart, held: HeldChart, skip: ReadonlySet<string> = new Set()): ChartPlan {
  const only = (kind: string) => new Set([...skip].filter((k) => k.startsWith(`${kind}:`)).map((k) => k.slice(kind.length + 1)));
  const unchangeable: Unchangeable[] = [];
  const heldAccounts = new Map(held.gl_accounts.map((a) => [a.id, a]));
  for (const a of desired.gl_accounts) {
    const h = heldAccounts.get(a.id);
    if (h && h.classification !== null && h.classification !== a.classification) {
      unchangeable.push({ kind: 'gl_account', id: a.id, problem: `classification is ${h.classification} on Ramp; Ramp's API cannot change it (delete the account in your books and upload it under a new id)` });
    }
  }
  const fields = planKind(desired.custom_fields, held.custom_fields, only('custom_field'), fieldBody);
  // An inactive field is brought back by POSTing its id again; then its settings are compared anew.
  const heldFields = new Map(held.custom_fields.map((f) => [f.id, f]));
  for (const f of desired.custom_fields) {
    const h = heldFields.get(f.id);
    if (h && !h.is_active && !skip.has(`custom_field:${f.id}`)) fields.creates.push(f);
    if (h && h.input_type !== f.input_type) unchangeable.push({ kind: 'custom_field', id: f.id, problem: `input_type is ${h.input_type} on Ramp; Ramp's API cannot change it` });
    if (h && f.is_required_for !== undefined && !sameSet(f.is_required_for, h.is_required_for)) {
      unchangeable.push({
        kind: 'custom_field',
        id: f.id,
        problem: `is_required_for is [${h.is_required_for.join(', ')}] on Ramp; Ramp's API cannot change it (change it in Ramp, or upload the field under a new id)`,
      });
    }
  }
  const skippedOptions = only('field_option');
  const fieldOptions: FieldOptionsPlan[] = [];
  for (const f of desired.custom_fields) {
    if (skip.has(`custom_field:${f.id}`)) continue;
    const h = heldFields.get(f.id);
    const skipHere = new Set([...skippedOptions].filter((k) => k.startsWith(`${f.id}/`)).map((k) => k.slice(f.id.length + 1)));
    const kind = planKind(f.options ?? [], h?.options ?? [], skipHere, (w, o) => renameBody(w, o, 'value'));
    fieldOptions.push({ fieldId: f.id, fieldRampId: h?.ramp_id ?? null, ...kind });
  }
  return {
    gl_accounts: planKind(desired.gl_accounts, held.gl_accounts, only('gl_account'), (w, h) => renameBody(w, h, 'name')),
    vendors: planKind(desired.vendors, held.vendors, only('vendor'), (w, h) => renameBody(w, h, 'name')),
    custom_fields: fields,
    // Options of a field that is going away go with it.
    field_options: fieldOptions.filter((p) => p.creates.length + p.updates.length + p.deletes.length > 0),
    unchangeable,
  };
}
