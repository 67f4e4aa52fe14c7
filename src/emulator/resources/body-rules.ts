/**
 * @module Checks a JSON request body against a small rule table and collects every problem at once,
 * keyed by the field's path (`gl_accounts.3.name`), with marshmallow's messages as Ramp's
 * validation answers carry them (`Missing data for required field.`, `Unknown field.`, …).
 */
import { RampApiError } from '../errors.ts';

export type FieldRule =
  | { kind: 'string'; required?: boolean; nonEmpty?: boolean; nullable?: boolean }
  | { kind: 'boolean'; required?: boolean }
  | { kind: 'enum'; values: readonly (string | boolean)[]; required?: boolean }
  | { kind: 'enumList'; values: readonly string[]; required?: boolean }
  | { kind: 'uuid'; required?: boolean };

export type Rules = Readonly<Record<string, FieldRule>>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class BodyProblems {
  readonly errors: Record<string, string[]> = {};

  add(field: string, message: string): void {
    (this.errors[field] ??= []).push(message);
  }

  get empty(): boolean {
    return Object.keys(this.errors).length === 0;
  }

  /** 422 DEVELOPER_7001 naming every problem, if there is any. */
  throwIfAny(): void {
    if (!this.empty) throw RampApiError.validation(this.errors);
  }
}

/** Marshmallow's Boolean field accepts these spellings too (Ramp's own example sends `"True"`). */
function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'True') return true;
  if (value === 'false' || value === 'False') return false;
  return undefined;
}

/**
 * Checks `value` against `rules`; problems go to `problems` under `prefix`. Returns the object with
 * booleans normalised, or undefined when it is not an object at all.
 */
export function checkObject(value: unknown, rules: Rules, problems: BodyProblems, prefix = ''): Record<string, unknown> | undefined {
  const at = (field: string): string => (prefix === '' ? field : `${prefix}.${field}`);
  if (!isPlainObject(value)) {
    problems.add(prefix === '' ? '_schema' : prefix, 'Invalid input type.');
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) if (!(key in rules)) problems.add(at(key), 'Unknown field.');
  for (const [field, rule] of Object.entries(rules)) {
    const entry = value[field];
    if (entry === undefined) {
      if (rule.required) problems.add(at(field), 'Missing data for required field.');
      continue;
    }
    if (entry === null) {
      if (rule.kind === 'string' && rule.nullable) out[field] = null;
      else problems.add(at(field), 'Field may not be null.');
      continue;
    }
    switch (rule.kind) {
      case 'string':
        if (typeof entry !== 'string') problems.add(at(field), 'Not a valid string.');
        else if (rule.nonEmpty && entry.trim().length === 0) problems.add(at(field), 'Shorter than minimum length 1.');
        else out[field] = entry;
        break;
      case 'uuid':
        if (typeof entry !== 'string' || !UUID.test(entry)) problems.add(at(field), 'Not a valid UUID.');
        else out[field] = entry.toLowerCase();
        break;
      case 'boolean': {
        const parsed = asBoolean(entry);
        if (parsed === undefined) problems.add(at(field), 'Not a valid boolean.');
        else out[field] = parsed;
        break;
      }
      case 'enum':
        if (!rule.values.includes(entry as string | boolean)) problems.add(at(field), `Must be one of: ${rule.values.join(', ')}.`);
        else out[field] = entry;
        break;
      case 'enumList':
        if (!Array.isArray(entry)) problems.add(at(field), 'Not a valid list.');
        else {
          entry.forEach((item, index) => {
            if (!rule.values.includes(item as string)) problems.add(`${at(field)}.${index}`, `Must be one of: ${rule.values.join(', ')}.`);
          });
          out[field] = [...new Set(entry as string[])];
        }
        break;
    }
  }
  return out;
}

/**
 * A batch field of 1..`max` items, each checked against `itemRules`. Returns the checked items
 * (with their index) only when the whole list is valid: all-or-nothing starts here.
 */
export function checkBatch(body: Record<string, unknown> | undefined, field: string, max: number, itemRules: Rules, problems: BodyProblems): Record<string, unknown>[] {
  if (!body) return [];
  const list = body[field];
  if (list === undefined) {
    problems.add(field, 'Missing data for required field.');
    return [];
  }
  if (!Array.isArray(list)) {
    problems.add(field, 'Not a valid list.');
    return [];
  }
  if (list.length < 1 || list.length > max) {
    problems.add(field, `Length must be between 1 and ${max}.`);
    return [];
  }
  const items = list.map((item, index) => checkObject(item, itemRules, problems, `${field}.${index}`));
  return items.every((item) => item !== undefined) ? (items as Record<string, unknown>[]) : [];
}
