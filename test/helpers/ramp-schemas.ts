/**
 * @module Validates JSON against the committed Ramp schemas (`ramp-schemas/`, derived from Ramp's
 * OpenAPI document by `scripts/ramp-schemas.ts`).
 *
 * Strict ajv: an unknown keyword in a committed schema is an error, not silently ignored. Ramp's
 * `decimal` format is a decimal number written as a string; the others are ajv-formats' own.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

export const RAMP_SCHEMA_DIR = join(import.meta.dirname, '../../ramp-schemas');

export interface RampPathEntry {
  scope: string | null;
  schema: string;
  item?: string;
}

export interface RampOperationEntry {
  scope: string | null;
  status: number;
  request?: string;
  response?: string;
}

/** `"METHOD /developer/v1/…"` → the accounting write's scope, success status and schemas. */
export function rampOperations(): Record<string, RampOperationEntry> {
  return JSON.parse(readFileSync(join(RAMP_SCHEMA_DIR, 'operations.json'), 'utf8')) as Record<string, RampOperationEntry>;
}

export function rampPaths(): Record<string, RampPathEntry> {
  return JSON.parse(readFileSync(join(RAMP_SCHEMA_DIR, 'paths.json'), 'utf8')) as Record<string, RampPathEntry>;
}

export class RampSchemas {
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #required = new Map<string, string[]>();
  readonly #properties = new Map<string, string[]>();

  constructor() {
    const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
    (addFormatsModule as unknown as (ajv: Ajv) => void)(ajv);
    ajv.addFormat('decimal', /^-?\d+(\.\d+)?$/);
    for (const file of readdirSync(RAMP_SCHEMA_DIR)) {
      if (!file.endsWith('.json') || file === 'paths.json' || file === 'operations.json') continue;
      const name = file.slice(0, -'.json'.length);
      const schema = JSON.parse(readFileSync(join(RAMP_SCHEMA_DIR, file), 'utf8')) as Record<string, unknown>;
      this.#validators.set(name, ajv.compile(schema));
      if (Array.isArray(schema.required)) this.#required.set(name, schema.required as string[]);
      if (typeof schema.properties === 'object' && schema.properties !== null) this.#properties.set(name, Object.keys(schema.properties));
    }
  }

  has(name: string): boolean {
    return this.#validators.has(name);
  }

  /** The top-level required fields of schema `name`. */
  requiredOf(name: string): string[] | undefined {
    return this.#required.get(name);
  }

  /** The top-level fields schema `name` declares. */
  propertiesOf(name: string): string[] | undefined {
    return this.#properties.get(name);
  }

  /** The problems of `value` against the schema `name`; empty when valid. */
  problems(name: string, value: unknown): string[] {
    const validate = this.#validators.get(name);
    if (!validate) throw new Error(`no committed Ramp schema ${name}`);
    if (validate(value)) return [];
    return (validate.errors ?? []).map((error: ErrorObject) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
  }
}
