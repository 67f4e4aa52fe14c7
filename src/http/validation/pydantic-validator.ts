/**
 * @module A validator for the JSON Schema subset our TypeBox route schemas use, reporting errors the way
 * pydantic v2 (and so FastAPI) does: same `type`, `msg`, `ctx`, `input`, same order (declaration order),
 * every error at once. Messages are pydantic-core's templates (`src/errors/types.rs`); golden bodies
 * generated with pydantic live in `test/fixtures/fastapi-422/`.
 *
 * Why not map TypeBox's own errors: they come in keyword order with noise (one `const` per literal branch,
 * duplicate `additionalProperties` entries, no array-item errors after the first failure), and FastAPI's
 * lax coercions (`"5"` → 5 for an int in a JSON body) have to be applied anyway.
 */
import type { ValidationIssue } from '../../core/errors.ts';
import { canonicalUuid, uuidError } from '../../core/uuid.ts';
import { hasNul } from '../../db/text.ts';

type Loc = (string | number)[];
type Json = unknown;
type Schema = Record<string, any>;

export interface ValidationResult {
  value: Json;
  issues: ValidationIssue[];
}

/** A check the schema cannot express; returns its problems (none: passed). Gets the coerced value and its loc. */
export type Validator = (value: any, loc: Loc) => ValidationIssue[];

/**
 * pydantic's validators, keyed by a field's path in the validated value, array items as `*`
 * (`custom_fields.*.options`; `''` is the value itself):
 * - `fields`: a `@field_validator` (mode after): runs once that field's own schema passed, its problems
 *   reported in the field's place among the others;
 * - `models`: a `@model_validator(mode='after')` (cross-field): runs once every field of that object
 *   (and its `additionalProperties: false`) passed.
 * Neither runs for a field left absent (pydantic does not validate defaults).
 */
export interface Validators {
  readonly fields?: Readonly<Record<string, Validator>>;
  readonly models?: Readonly<Record<string, Validator>>;
}

interface Hooks {
  readonly validators: Validators;
  /** How many leading loc segments are the prefix (`['body']`), not a path in the value. */
  readonly base: number;
}

/** Validate `input` against `schema`; `loc` is the prefix (e.g. `['body']`). Returns the coerced value. */
export function validateAgainstSchema(schema: Schema, input: Json, loc: Loc, validators?: Validators): ValidationResult {
  const issues: ValidationIssue[] = [];
  const value = check(schema, input, loc, issues, validators === undefined ? undefined : { validators, base: loc.length });
  return { value, issues };
}

function pathOf(loc: Loc, hooks: Hooks): string {
  return loc.slice(hooks.base).map((segment) => (typeof segment === 'number' ? '*' : segment)).join('.');
}

/** The sub-schemas a validator path names (through `T | None`): empty when the path names nothing. */
export function schemasAt(schema: Schema, path: string): Schema[] {
  let found: Schema[] = [schema];
  for (const segment of path === '' ? [] : path.split('.')) {
    found = found
      .flatMap((s) => (Array.isArray(s.anyOf) ? (s.anyOf as Schema[]) : [s]))
      .flatMap((s) => (segment === '*' ? (s.type === 'array' && s.items ? [s.items as Schema] : []) : s.type === 'object' && s.properties?.[segment] ? [s.properties[segment] as Schema] : []));
  }
  return found.flatMap((s) => (Array.isArray(s.anyOf) ? (s.anyOf as Schema[]).filter((b) => b.type !== 'null') : [s]));
}

function issue(issues: ValidationIssue[], type: string, loc: Loc, msg: string, input: Json, ctx?: Record<string, unknown>): undefined {
  issues.push(ctx === undefined ? { type, loc, msg, input } : { type, loc, msg, input, ctx });
  return undefined;
}

function check(schema: Schema, input: Json, loc: Loc, issues: ValidationIssue[], hooks: Hooks | undefined): Json {
  if (Array.isArray(schema.anyOf)) return checkAnyOf(schema, input, loc, issues, hooks);
  if (schema.const !== undefined) return checkLiterals([schema.const], input, loc, issues);
  switch (schema.type) {
    case 'object':
      return checkObject(schema, input, loc, issues, hooks);
    case 'array':
      return checkArray(schema, input, loc, issues, hooks);
    case 'string':
      return checkString(schema, input, loc, issues);
    case 'integer':
      return checkInteger(schema, input, loc, issues);
    case 'number':
      return checkNumber(schema, input, loc, issues);
    case 'boolean':
      return checkBoolean(input, loc, issues);
    case 'null':
      return input === null ? null : issue(issues, 'none_required', loc, 'Input should be None', input);
    default:
      return input; // unconstrained (`Type.Unknown()`)
  }
}

function checkAnyOf(schema: Schema, input: Json, loc: Loc, issues: ValidationIssue[], hooks: Hooks | undefined): Json {
  const branches: Schema[] = schema.anyOf;
  // `T | None` (pydantic Optional): null passes, anything else is reported against T alone.
  const nonNull = branches.filter((b) => b.type !== 'null');
  if (nonNull.length < branches.length) {
    if (input === null) return null;
    if (nonNull.length === 1) return check(nonNull[0]!, input, loc, issues, hooks);
  }
  // A union of literals is pydantic's `Literal['a', 'b']`.
  if (nonNull.every((b) => b.const !== undefined)) return checkLiterals(nonNull.map((b) => b.const), input, loc, issues);
  for (const branch of nonNull) {
    const scratch: ValidationIssue[] = [];
    const value = check(branch, input, loc, scratch, hooks);
    if (scratch.length === 0) return value;
  }
  return check(nonNull[0]!, input, loc, issues, hooks);
}

function checkLiterals(allowed: Json[], input: Json, loc: Loc, issues: ValidationIssue[]): Json {
  if (allowed.some((a) => a === input)) return input;
  const repr = allowed.map(pythonRepr);
  const expected = repr.length === 1 ? repr[0]! : `${repr.slice(0, -1).join(', ')} or ${repr[repr.length - 1]}`;
  return issue(issues, 'literal_error', loc, `Input should be ${expected}`, input, { expected });
}

function pythonRepr(v: Json): string {
  return typeof v === 'string' ? `'${v}'` : String(v);
}

function isPlainObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkObject(schema: Schema, input: Json, loc: Loc, issues: ValidationIssue[], hooks: Hooks | undefined): Json {
  if (!isPlainObject(input)) {
    return issue(issues, 'model_attributes_type', loc, 'Input should be a valid dictionary or object to extract fields from', input);
  }
  const before = issues.length;
  const required = new Set<string>(schema.required ?? []);
  const properties: Record<string, Schema> = schema.properties ?? {};
  const out: Record<string, Json> = {};
  for (const [name, propertySchema] of Object.entries(properties)) {
    if (!Object.hasOwn(input, name) || input[name] === undefined) {
      if (required.has(name)) issue(issues, 'missing', [...loc, name], 'Field required', input);
      else if (propertySchema.default !== undefined) out[name] = structuredClone(propertySchema.default);
      continue;
    }
    const fieldLoc = [...loc, name];
    const fieldBefore = issues.length;
    out[name] = check(propertySchema, input[name], fieldLoc, issues, hooks);
    const fieldValidator = hooks?.validators.fields?.[pathOf(fieldLoc, hooks)];
    if (fieldValidator && issues.length === fieldBefore) issues.push(...fieldValidator(out[name], fieldLoc));
  }
  if (schema.additionalProperties === false) {
    for (const key of Object.keys(input)) {
      if (!Object.hasOwn(properties, key)) issue(issues, 'extra_forbidden', [...loc, key], 'Extra inputs are not permitted', input[key]);
    }
  }
  const modelValidator = hooks?.validators.models?.[pathOf(loc, hooks)];
  if (modelValidator && issues.length === before) issues.push(...modelValidator(out, loc));
  return out;
}

function checkArray(schema: Schema, input: Json, loc: Loc, issues: ValidationIssue[], hooks: Hooks | undefined): Json {
  if (!Array.isArray(input)) return issue(issues, 'list_type', loc, 'Input should be a valid list', input);
  const plural = (n: number) => (n === 1 ? 'item' : 'items');
  // pydantic-core checks a list's length before its items: a list over max_length gets `too_long` alone.
  if (typeof schema.maxItems === 'number' && input.length > schema.maxItems) {
    return issue(issues, 'too_long', loc, `List should have at most ${schema.maxItems} ${plural(schema.maxItems)} after validation, not ${input.length}`, input, {
      field_type: 'List', max_length: schema.maxItems, actual_length: input.length,
    });
  }
  const itemIssues: ValidationIssue[] = [];
  const out = input.map((item, i) => (schema.items ? check(schema.items, item, [...loc, i], itemIssues, hooks) : item));
  // …and reports min_length only when every item was valid.
  if (itemIssues.length > 0) {
    issues.push(...itemIssues);
    return out;
  }
  if (typeof schema.minItems === 'number' && input.length < schema.minItems) {
    issue(issues, 'too_short', loc, `List should have at least ${schema.minItems} ${plural(schema.minItems)} after validation, not ${input.length}`, input, {
      field_type: 'List', min_length: schema.minItems, actual_length: input.length,
    });
  }
  return out;
}

function checkString(schema: Schema, input: Json, loc: Loc, issues: ValidationIssue[]): Json {
  if (typeof input !== 'string') return issue(issues, 'string_type', loc, 'Input should be a valid string', input);
  // Refused on both dialects (src/db/text.ts), as a field validator's ValueError.
  if (hasNul(input)) return issue(issues, 'value_error', loc, 'Value error, string must not contain the NUL character (U+0000)', input, { error: {} });
  const length = [...input].length; // pydantic counts code points, not UTF-16 units
  const plural = (n: number) => (n === 1 ? 'character' : 'characters');
  if (typeof schema.minLength === 'number' && length < schema.minLength) {
    return issue(issues, 'string_too_short', loc, `String should have at least ${schema.minLength} ${plural(schema.minLength)}`, input, { min_length: schema.minLength });
  }
  if (typeof schema.maxLength === 'number' && length > schema.maxLength) {
    return issue(issues, 'string_too_long', loc, `String should have at most ${schema.maxLength} ${plural(schema.maxLength)}`, input, { max_length: schema.maxLength });
  }
  if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(input)) {
    return issue(issues, 'string_pattern_mismatch', loc, `String should match pattern '${schema.pattern}'`, input, { pattern: schema.pattern });
  }
  if (schema.format === 'uuid') {
    const error = uuidError(input);
    if (error) return issue(issues, 'uuid_parsing', loc, `Input should be a valid UUID, ${error}`, input, { error });
    return canonicalUuid(input);
  }
  if (schema.format === 'date-time') {
    const error = dateTimeError(input);
    if (error) return issue(issues, 'datetime_from_date_parsing', loc, `Input should be a valid datetime or date, ${error}`, input, { error });
  }
  if (schema.format === 'date') {
    const error = dateError(input);
    if (error) return issue(issues, 'date_from_datetime_parsing', loc, `Input should be a valid date or datetime, ${error}`, input, { error });
  }
  return input;
}


function dateError(s: string): string | undefined {
  if (s.length < 10) return 'input is too short';
  if (!/^\d{4}/.test(s)) return 'invalid character in year';
  if (s[4] !== '-' || s[7] !== '-') return 'invalid date separator, expected `-`';
  if (!/^\d{4}-\d{2}/.test(s)) return 'invalid character in month';
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return 'invalid character in day';
  const month = Number(s.slice(5, 7));
  const day = Number(s.slice(8, 10));
  if (month < 1 || month > 12) return 'month value is outside expected range of 1-12';
  const daysInMonth = new Date(Date.UTC(Number(s.slice(0, 4)), month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return 'day value is outside expected range';
  return undefined;
}

function dateTimeError(s: string): string | undefined {
  const dateProblem = dateError(s);
  if (dateProblem) return dateProblem;
  if (s.length === 10) return undefined; // a bare date is accepted as midnight
  if (!/^.{10}[Tt ]/.test(s)) return 'unexpected extra characters at the end of the input';
  if (!/^.{11}\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)?$/.test(s)) return 'invalid character in hour';
  const hour = Number(s.slice(11, 13));
  const minute = Number(s.slice(14, 16));
  if (hour > 23) return 'hour value is outside expected range of 0-23';
  if (minute > 59) return 'minute value is outside expected range of 0-59';
  return Number.isNaN(Date.parse(s.length === 16 ? `${s}:00` : s)) ? 'invalid datetime' : undefined;
}

function checkInteger(schema: Schema, input: Json, loc: Loc, issues: ValidationIssue[]): Json {
  let n: number;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return issue(issues, 'finite_number', loc, 'Input should be a finite number', input);
    if (!Number.isInteger(input)) return issue(issues, 'int_from_float', loc, 'Input should be a valid integer, got a number with a fractional part', input);
    n = input;
  } else if (typeof input === 'boolean') {
    n = input ? 1 : 0; // pydantic lax mode
  } else if (typeof input === 'string') {
    const trimmed = input.trim();
    if (!/^[+-]?\d+(_\d+)*$/.test(trimmed)) {
      return issue(issues, 'int_parsing', loc, 'Input should be a valid integer, unable to parse string as an integer', input);
    }
    n = Number(trimmed.replaceAll('_', ''));
  } else {
    return issue(issues, 'int_type', loc, 'Input should be a valid integer', input);
  }
  return checkBounds(schema, n, input, loc, issues);
}

function checkNumber(schema: Schema, input: Json, loc: Loc, issues: ValidationIssue[]): Json {
  let n: number;
  if (typeof input === 'number') n = input;
  else if (typeof input === 'boolean') n = input ? 1 : 0;
  else if (typeof input === 'string') {
    n = input.trim() === '' ? Number.NaN : Number(input.trim());
    if (Number.isNaN(n)) return issue(issues, 'float_parsing', loc, 'Input should be a valid number, unable to parse string as a number', input);
  } else return issue(issues, 'float_type', loc, 'Input should be a valid number', input);
  return checkBounds(schema, n, input, loc, issues);
}

function checkBounds(schema: Schema, n: number, input: Json, loc: Loc, issues: ValidationIssue[]): Json {
  if (typeof schema.minimum === 'number' && n < schema.minimum) {
    return issue(issues, 'greater_than_equal', loc, `Input should be greater than or equal to ${schema.minimum}`, input, { ge: schema.minimum });
  }
  if (typeof schema.exclusiveMinimum === 'number' && n <= schema.exclusiveMinimum) {
    return issue(issues, 'greater_than', loc, `Input should be greater than ${schema.exclusiveMinimum}`, input, { gt: schema.exclusiveMinimum });
  }
  if (typeof schema.maximum === 'number' && n > schema.maximum) {
    return issue(issues, 'less_than_equal', loc, `Input should be less than or equal to ${schema.maximum}`, input, { le: schema.maximum });
  }
  if (typeof schema.exclusiveMaximum === 'number' && n >= schema.exclusiveMaximum) {
    return issue(issues, 'less_than', loc, `Input should be less than ${schema.exclusiveMaximum}`, input, { lt: schema.exclusiveMaximum });
  }
  return n;
}

const TRUE_STRINGS = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_STRINGS = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

function checkBoolean(input: Json, loc: Loc, issues: ValidationIssue[]): Json {
  if (typeof input === 'boolean') return input;
  if (input === 0 || input === 1) return input === 1;
  if (typeof input === 'string') {
    const lower = input.toLowerCase();
    if (TRUE_STRINGS.has(lower)) return true;
    if (FALSE_STRINGS.has(lower)) return false;
  }
  if (typeof input === 'string' || typeof input === 'number') {
    return issue(issues, 'bool_parsing', loc, 'Input should be a valid boolean, unable to interpret input', input);
  }
  return issue(issues, 'bool_type', loc, 'Input should be a valid boolean', input);
}
