/**
 * @module Derives JSON Schemas (draft-07, as ajv 8 reads them) from Ramp's OpenAPI 3.0 document.
 *
 * `node bin/run-ts.js scripts/ramp-schemas.ts` (the command line, beside) reads `../shared/reference/ramp-docs/developer-api.json`
 * and rewrites `ramp-schemas/`: one self-contained file per response component the project reads
 * (every `$ref` it needs copied under `definitions`), `paths.json` (each GET path we read → its scope
 * and schema), `operations.json` (each accounting write we serve → its scope, success status,
 * request and answer schemas) and `RampError.json`. `--check` only compares and exits 1 on a difference.
 *
 * Facts only: descriptions, titles, examples, defaults and vendor extensions are dropped; types,
 * `required`, `enum`, `format`, bounds and `additionalProperties` are kept. OpenAPI 3.0's
 * `nullable: true` becomes a `"null"` alternative (and `null` joins an `enum`), OpenAPI's boolean
 * `exclusiveMinimum`/`exclusiveMaximum` become draft-07 numbers, and `oneOf` becomes `anyOf`:
 * Ramp's variants are open objects that overlap (a `discriminator` tells them apart, or nothing
 * does, as with `AccountingProvider` beside the all-optional `ApiEmptyResponse`), so "exactly one"
 * would reject answers Ramp means as valid.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SPEC_PATH = resolve(REPO_ROOT, '../shared/reference/ramp-docs/developer-api.json');
export const SCHEMA_DIR = join(REPO_ROOT, 'ramp-schemas');

/** The GET paths an accounting product reads (issue 13): lists and their by-id companions. */
export const READ_PATHS: readonly string[] = [
  '/developer/v1/business',
  '/developer/v1/business/balance',
  '/developer/v1/transactions',
  '/developer/v1/transactions/{transaction_id}',
  '/developer/v1/reimbursements',
  '/developer/v1/reimbursements/{reimbursement_id}',
  '/developer/v1/bills',
  '/developer/v1/bills/{bill_id}',
  '/developer/v1/transfers',
  '/developer/v1/transfers/{transfer_id}',
  '/developer/v1/cashbacks',
  '/developer/v1/cashbacks/{cashback_id}',
  '/developer/v1/statements',
  '/developer/v1/statements/{statement_id}',
  '/developer/v1/receipts',
  '/developer/v1/receipts/{receipt_id}',
  '/developer/v1/memos',
  '/developer/v1/memos/{transaction_id}',
  '/developer/v1/vendors',
  '/developer/v1/vendors/{vendor_id}',
  '/developer/v1/vendors/{vendor_id}/contacts',
  '/developer/v1/vendors/{vendor_id}/contacts/{vendor_contact_id}',
  '/developer/v1/merchants',
  '/developer/v1/entities',
  '/developer/v1/entities/{entity_id}',
  '/developer/v1/limits',
  '/developer/v1/limits/{spend_limit_id}',
  '/developer/v1/spend-programs',
  '/developer/v1/spend-programs/{spend_program_id}',
  '/developer/v1/locations',
  '/developer/v1/locations/{location_id}',
  '/developer/v1/departments',
  '/developer/v1/departments/{department_id}',
  '/developer/v1/users',
  '/developer/v1/users/{user_id}',
  '/developer/v1/cards',
  '/developer/v1/cards/{card_id}',
  '/developer/v1/accounting/accounts',
  '/developer/v1/accounting/accounts/{gl_account_id}',
  '/developer/v1/accounting/fields',
  '/developer/v1/accounting/fields/{field_id}',
  '/developer/v1/accounting/field-options',
  '/developer/v1/accounting/field-options/{field_option_id}',
  '/developer/v1/accounting/vendors',
  '/developer/v1/accounting/vendors/{vendor_id}',
  '/developer/v1/accounting/connection',
  '/developer/v1/accounting/all-connections',
];

/** The accounting writes the emulator serves (issue 16): `operations.json` gives each one's scope, success status and schemas. */
export const WRITE_OPERATIONS: readonly (readonly [method: 'post' | 'patch' | 'delete', path: string])[] = [
  ['post', '/developer/v1/accounting/connection'],
  ['delete', '/developer/v1/accounting/connection'],
  ['post', '/developer/v1/accounting/connection/{connection_id}/reactivate'],
  ['post', '/developer/v1/accounting/accounts'],
  ['patch', '/developer/v1/accounting/accounts/{gl_account_id}'],
  ['delete', '/developer/v1/accounting/accounts/{gl_account_id}'],
  ['post', '/developer/v1/accounting/vendors'],
  ['patch', '/developer/v1/accounting/vendors/{vendor_id}'],
  ['delete', '/developer/v1/accounting/vendors/{vendor_id}'],
  ['post', '/developer/v1/accounting/fields'],
  ['patch', '/developer/v1/accounting/fields/{field_id}'],
  ['delete', '/developer/v1/accounting/fields/{field_id}'],
  ['post', '/developer/v1/accounting/field-options'],
  ['patch', '/developer/v1/accounting/field-options/{field_option_id}'],
  ['delete', '/developer/v1/accounting/field-options/{field_option_id}'],
  ['post', '/developer/v1/accounting/syncs'],
];

/**
 * Ramp's error envelope. The OpenAPI document declares no error bodies; this is the shape of the
 * error-handling guide's example (`error-handling.mdx`): `error_v2` with a stable code, the
 * per-field problems in `additional_info`, and the legacy `error` object beside it.
 */
const RAMP_ERROR_SCHEMA: JsonObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'RampError',
  type: 'object',
  required: ['error_v2'],
  properties: {
    error_v2: {
      type: 'object',
      required: ['error_code', 'additional_info', 'notes', 'message'],
      properties: {
        error_code: { type: 'string', pattern: '^[A-Z_]+(_[0-9]+)?$' },
        additional_info: { type: 'object' },
        notes: { type: 'string' },
        message: { type: 'string' },
      },
    },
    error: { type: 'object' },
  },
};

const KEPT_KEYWORDS = new Set([
  'type', 'properties', 'required', 'items', 'enum', 'format', 'additionalProperties', 'allOf', 'anyOf', 'oneOf', 'not',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'minItems',
  'maxItems', 'uniqueItems', 'multipleOf', 'minProperties', 'maxProperties', '$ref', 'nullable',
]);

const COMPONENT_PREFIX = '#/components/schemas/';

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Converts one OpenAPI schema object; `refs` collects the component names it points to. */
function convert(schema: Json, refs: Set<string>): Json {
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const key of Object.keys(schema).sort()) {
    if (!KEPT_KEYWORDS.has(key) || key === 'nullable') continue;
    const value = schema[key]!;
    if (key === '$ref') {
      const name = String(value).slice(COMPONENT_PREFIX.length);
      refs.add(name);
      out.$ref = `#/definitions/${name}`;
    } else if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.keys(value).sort().map((name) => [name, convert(value[name]!, refs)]));
    } else if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
      out[key === 'oneOf' ? 'anyOf' : key] = value.map((item) => convert(item, refs));
    } else if ((key === 'items' || key === 'not' || key === 'additionalProperties') && isObject(value)) {
      out[key] = convert(value, refs);
    } else if ((key === 'exclusiveMinimum' || key === 'exclusiveMaximum') && typeof value === 'boolean') {
      const bound = key === 'exclusiveMinimum' ? 'minimum' : 'maximum';
      if (value && typeof schema[bound] === 'number') out[key] = schema[bound];
    } else if (key === 'required' && Array.isArray(value)) {
      out.required = [...value].sort();
    } else {
      out[key] = value;
    }
  }
  if (out.exclusiveMinimum !== undefined) delete out.minimum;
  if (out.exclusiveMaximum !== undefined) delete out.maximum;
  if (schema.nullable !== true) return out;
  if (typeof out.type === 'string' && out.allOf === undefined && out.anyOf === undefined && out.oneOf === undefined) {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}

export interface OperationEntry {
  scope: string | null;
  /** The success status Ramp's document declares (200, 201 or 204). */
  status: number;
  /** The request body's schema file, when the operation takes one. */
  request?: string;
  /** The success answer's schema file; absent for 204. */
  response?: string;
}

export interface PathEntry {
  scope: string | null;
  /** The 200 answer's schema file (without `.json`). */
  schema: string;
  /** For a list: the schema file of one item of `data`. */
  item?: string;
}

/** Every file of `ramp-schemas/`, by file name, as the text to write. */
export function deriveRampSchemas(spec: JsonObject): Map<string, string> {
  const components = (spec.components as JsonObject).schemas as JsonObject;
  const paths = spec.paths as JsonObject;
  const files = new Map<string, string>();
  const text = (value: Json): string => `${JSON.stringify(value, null, 2)}\n`;

  const standalone = (id: string, root: Json): JsonObject => {
    const refs = new Set<string>();
    const body = convert(root, refs) as JsonObject;
    const definitions: JsonObject = {};
    const pending = [...refs];
    while (pending.length > 0) {
      const name = pending.pop()!;
      if (definitions[name] !== undefined) continue;
      const before = new Set(refs);
      definitions[name] = convert(components[name]!, refs);
      for (const ref of refs) if (!before.has(ref)) pending.push(ref);
    }
    const sorted = Object.fromEntries(Object.keys(definitions).sort().map((name) => [name, definitions[name]!]));
    return { $schema: 'http://json-schema.org/draft-07/schema#', $id: id, ...body, ...(Object.keys(sorted).length > 0 ? { definitions: sorted } : {}) };
  };

  const index: Record<string, PathEntry> = {};
  for (const path of READ_PATHS) {
    const operation = (paths[path] as JsonObject | undefined)?.get as JsonObject | undefined;
    if (!operation) throw new Error(`Ramp's document has no GET ${path}`);
    const security = (operation.security as JsonObject[] | undefined) ?? [];
    const scope = security.flatMap((entry) => Object.values(entry).flat())[0] ?? null;
    const content = (((operation.responses as JsonObject)['200'] as JsonObject).content as JsonObject)['application/json'] as JsonObject;
    const schema = content.schema as JsonObject;
    const ref = typeof schema.$ref === 'string' ? schema.$ref.slice(COMPONENT_PREFIX.length) : null;
    // An inline answer (accounting/connection's oneOf) is named after its path.
    const name = ref ?? `Get${path.replace('/developer/v1', '').replace(/[{}]/g, '').split(/[/-]/).map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('')}`;
    files.set(`${name}.json`, text(standalone(name, ref ? components[ref]! : schema)));
    const entry: PathEntry = { scope: typeof scope === 'string' ? scope : null, schema: name };
    const data = ref ? ((components[ref] as JsonObject).properties as JsonObject | undefined)?.data : undefined;
    const itemRef = isObject(data) && isObject(data.items) ? data.items.$ref : undefined;
    if (ref?.startsWith('PaginatedResponse') && typeof itemRef === 'string') {
      const item = itemRef.slice(COMPONENT_PREFIX.length);
      files.set(`${item}.json`, text(standalone(item, components[item]!)));
      entry.item = item;
    }
    index[path] = entry;
  }
  const operations: Record<string, OperationEntry> = {};
  const refName = (schema: Json | undefined): string | undefined => (isObject(schema) && typeof schema.$ref === 'string' ? schema.$ref.slice(COMPONENT_PREFIX.length) : undefined);
  for (const [method, path] of WRITE_OPERATIONS) {
    const operation = (paths[path] as JsonObject | undefined)?.[method] as JsonObject | undefined;
    if (!operation) throw new Error(`Ramp's document has no ${method.toUpperCase()} ${path}`);
    const security = (operation.security as JsonObject[] | undefined) ?? [];
    const scope = security.flatMap((entry) => Object.values(entry).flat())[0] ?? null;
    const responses = operation.responses as JsonObject;
    const status = ['200', '201', '204'].find((code) => responses[code] !== undefined);
    if (!status) throw new Error(`Ramp's document declares no success for ${method.toUpperCase()} ${path}`);
    const entry: OperationEntry = { scope: typeof scope === 'string' ? scope : null, status: Number(status) };
    const requestBody = (((operation.requestBody as JsonObject | undefined)?.content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined)?.schema;
    const request = refName(requestBody);
    if (request) {
      files.set(`${request}.json`, text(standalone(request, components[request]!)));
      entry.request = request;
    }
    const answer = refName((((responses[status] as JsonObject).content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined)?.schema);
    if (answer) {
      files.set(`${answer}.json`, text(standalone(answer, components[answer]!)));
      entry.response = answer;
    }
    operations[`${method.toUpperCase()} ${path}`] = entry;
  }
  files.set('operations.json', text(operations as unknown as Json));
  files.set('RampError.json', text(RAMP_ERROR_SCHEMA));
  files.set('paths.json', text(index as unknown as Json));
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function readSpec(): JsonObject {
  return JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as JsonObject;
}

/** Files that differ between `expected` and the directory (missing, changed or extra). */
export function differingFiles(expected: Map<string, string>, dir: string): string[] {
  const present = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json')) : [];
  const differing = [...expected].filter(([name, content]) => !present.includes(name) || readFileSync(join(dir, name), 'utf8') !== content).map(([name]) => name);
  return [...differing, ...present.filter((name) => !expected.has(name))];
}
