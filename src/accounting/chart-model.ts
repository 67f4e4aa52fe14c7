/**
 * @module The chart of accounts in two shapes: what the product wants (`DesiredChart`, keyed by the
 * product's own ids) and what Ramp holds (`HeldChart`). The product's id is Ramp's `id` (the ERP's
 * remote id, docs/ramp-behaviour.md#chart-of-accounts); Ramp's own `ramp_id` addresses an object in
 * PATCH and DELETE and never leaves this service except in `GET …/chart`.
 */

/**
 * The values Ramp's OpenAPI document allows (`GLAccount.classification`,
 * `ApiAccountingCustomFieldCreateRequestBody.input_type` and its `is_required_for` items). Checked
 * when the chart is sent, so one typo is a 422 at once rather than a 500-item batch Ramp refuses whole.
 */
export const GL_ACCOUNT_CLASSIFICATIONS = ['ANY', 'ASSET', 'CREDCARD', 'EQUITY', 'EXPENSE', 'LIABILITY', 'REVENUE', 'UNKNOWN'] as const;
export const CUSTOM_FIELD_INPUT_TYPES = ['BOOLEAN', 'FREE_FORM_TEXT', 'SINGLE_CHOICE'] as const;
export const CUSTOM_FIELD_REQUIRED_FOR = ['BILL', 'BILL_PAYMENT', 'PURCHASE_ORDER', 'REIMBURSEMENT', 'TRANSACTION'] as const;

export interface DesiredGlAccount {
  readonly id: string;
  readonly name: string;
  readonly classification: string;
  readonly code?: string;
}

export interface DesiredVendor {
  readonly id: string;
  readonly name: string;
  readonly code?: string;
}

export interface DesiredOption {
  readonly id: string;
  readonly value: string;
  readonly code?: string;
}

export interface DesiredField {
  readonly id: string;
  readonly name: string;
  readonly input_type: string;
  readonly display_name?: string | null;
  readonly is_splittable?: boolean;
  readonly is_required_for?: readonly string[];
  readonly options?: readonly DesiredOption[];
}

export interface DesiredChart {
  readonly gl_accounts: readonly DesiredGlAccount[];
  readonly vendors: readonly DesiredVendor[];
  readonly custom_fields: readonly DesiredField[];
}

export interface HeldAccount {
  readonly ramp_id: string;
  readonly id: string;
  readonly name: string;
  readonly code: string | null;
  readonly classification: string | null;
  readonly is_active: boolean;
}

export interface HeldVendor {
  readonly ramp_id: string;
  readonly id: string;
  readonly name: string;
  readonly code: string | null;
  readonly is_active: boolean;
}

export interface HeldOption {
  readonly ramp_id: string;
  readonly id: string;
  readonly value: string;
  readonly code: string | null;
  readonly is_active: boolean;
}

export interface HeldField {
  readonly ramp_id: string;
  readonly id: string;
  readonly name: string;
  readonly display_name: string | null;
  readonly input_type: string;
  readonly is_splittable: boolean;
  readonly is_required_for: readonly string[];
  readonly is_active: boolean;
  readonly options: readonly HeldOption[];
}

export interface HeldChart {
  readonly gl_accounts: readonly HeldAccount[];
  readonly vendors: readonly HeldVendor[];
  readonly custom_fields: readonly HeldField[];
}

export type ChartKind = 'gl_account' | 'vendor' | 'custom_field' | 'field_option';

/** Counts of objects, per kind (a chart's size, or what a job did). */
export interface ChartCounts {
  gl_accounts: number;
  vendors: number;
  custom_fields: number;
  field_options: number;
}

export function heldCounts(chart: HeldChart, activeOnly = true): ChartCounts {
  const keep = <T extends { is_active: boolean }>(items: readonly T[]) => items.filter((item) => !activeOnly || item.is_active);
  const fields = keep(chart.custom_fields);
  return {
    gl_accounts: keep(chart.gl_accounts).length,
    vendors: keep(chart.vendors).length,
    custom_fields: fields.length,
    field_options: fields.reduce((n, field) => n + keep(field.options).length, 0),
  };
}

/** The active part of a held chart as a desired chart: what a migration re-uploads from a backup. */
export function desiredFromHeld(chart: HeldChart): DesiredChart {
  const code = (value: string | null) => (value === null || value === '' ? {} : { code: value });
  return {
    gl_accounts: chart.gl_accounts.filter((a) => a.is_active).map((a) => ({ id: a.id, name: a.name, classification: a.classification ?? 'UNKNOWN', ...code(a.code) })),
    vendors: chart.vendors.filter((v) => v.is_active).map((v) => ({ id: v.id, name: v.name, ...code(v.code) })),
    custom_fields: chart.custom_fields
      .filter((f) => f.is_active)
      .map((f) => ({
        id: f.id,
        name: f.name,
        input_type: f.input_type,
        display_name: f.display_name,
        is_splittable: f.is_splittable,
        is_required_for: f.is_required_for,
        options: f.options.filter((o) => o.is_active).map((o) => ({ id: o.id, value: o.value, ...code(o.code) })),
      })),
  };
}
