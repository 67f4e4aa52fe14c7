/**
 * @module An object's codings as the product knows them: Ramp's `accounting_field_selections` name
 * each chosen GL account and custom-field option by Ramp's id (`id`) and by the id the accounting
 * product gave it when uploading its chart (`external_id`, and the field's `category_info.external_id`;
 * docs/ramp-behaviour.md#accounting-readiness). The feed leads with the product's ids and keeps Ramp's.
 */

export interface GlAccountCoding {
  /** The product's id of the GL account (Ramp's `external_id`). */
  readonly id: string | null;
  readonly ramp_id: string | null;
  readonly name: string | null;
}

export interface FieldCoding {
  /** The product's id of the custom field and of the chosen option. */
  readonly field_id: string | null;
  readonly field_ramp_id: string | null;
  readonly field_name: string | null;
  readonly option_id: string | null;
  readonly option_ramp_id: string | null;
  readonly option_name: string | null;
}

export interface Codings {
  readonly gl_account: GlAccountCoding | null;
  readonly fields: readonly FieldCoding[];
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** Codings of one list of selections (an object's, or one line item's). */
export function codingsOf(selections: unknown): Codings {
  let gl: GlAccountCoding | null = null;
  const fields: FieldCoding[] = [];
  for (const raw of Array.isArray(selections) ? selections : []) {
    const selection = obj(raw);
    const category = obj(selection.category_info);
    if (selection.type === 'GL_ACCOUNT' || category.type === 'GL_ACCOUNT') {
      gl ??= { id: text(selection.external_id), ramp_id: text(selection.id), name: text(selection.name) };
      continue;
    }
    fields.push({
      field_id: text(category.external_id), field_ramp_id: text(category.id), field_name: text(category.name),
      option_id: text(selection.external_id), option_ramp_id: text(selection.id), option_name: text(selection.name),
    });
  }
  return { gl_account: gl, fields };
}

/** The object's codings and each line item's (split codings live on the lines). */
export function recordCodings(record: Record<string, unknown>): Codings & { readonly line_items: readonly Codings[] } {
  const lines = Array.isArray(record.line_items) ? record.line_items : [];
  return { ...codingsOf(record.accounting_field_selections), line_items: lines.map((line) => codingsOf(obj(line).accounting_field_selections)) };
}
