/**
 * The committed `ramp-schemas/` is exactly what `scripts/ramp-schemas.ts` derives from Ramp's
 * OpenAPI document, and the derivation keeps facts only (no prose, no examples) while carrying
 * OpenAPI 3.0's nullability into JSON Schema.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_DIR, SPEC_PATH, deriveRampSchemas, differingFiles, readSpec } from '../../scripts/lib/ramp-schemas.ts';
import { RampSchemas, rampOperations, rampPaths } from '../helpers/ramp-schemas.ts';

const hasSpec = existsSync(SPEC_PATH);

function committed(name: string): any {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, `${name}.json`), 'utf8'));
}

describe('ramp-schemas/', () => {
  it.skipIf(!hasSpec)('equals what the script derives from developer-api.json (re-run `node bin/run-ts.js scripts/ramp-schemas.ts`)', () => {
    expect(differingFiles(deriveRampSchemas(readSpec()), SCHEMA_DIR)).toEqual([]);
  });

  it('holds facts only: every keyword of every committed schema is a validation keyword (no descriptions, titles, examples)', () => {
    const keywords = new Set([
      '$schema', '$id', '$ref', 'definitions', 'type', 'properties', 'required', 'items', 'enum', 'format', 'additionalProperties', 'allOf', 'anyOf',
      'not', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'uniqueItems',
      'multipleOf', 'minProperties', 'maxProperties',
    ]);
    const seen = new Set<string>();
    const walk = (schema: any): void => {
      if (typeof schema !== 'object' || schema === null) return;
      for (const [key, value] of Object.entries(schema)) {
        seen.add(key);
        if (key === 'properties' || key === 'definitions') for (const child of Object.values(value as object)) walk(child);
        else if (key === 'anyOf' || key === 'allOf') for (const child of value as unknown[]) walk(child);
        else if (key === 'items' || key === 'not' || key === 'additionalProperties') walk(value);
      }
    };
    for (const name of Object.values(rampPaths()).flatMap((entry) => [entry.schema, entry.item ?? entry.schema])) walk(committed(name));
    for (const entry of Object.values(rampOperations())) for (const name of [entry.request, entry.response]) if (name) walk(committed(name));
    expect([...seen].filter((key) => !keywords.has(key))).toEqual([]);
    expect(seen.has('required') && seen.has('enum') && seen.has('format')).toBe(true);
  });

  it('carries nullability, optionality, enums and formats', () => {
    const transaction = committed('Transaction');
    expect(transaction.properties.synced_at.type).toEqual(['string', 'null']);
    expect(transaction.properties.limit_id).toEqual({ format: 'uuid', type: 'string' });
    expect(transaction.required).toContain('sk_category_id');
    expect(transaction.required).not.toContain('limit_id');
    expect(transaction.properties.original_transaction_amount).toEqual({ anyOf: [{ allOf: [{ $ref: '#/definitions/CurrencyAmount' }] }, { type: 'null' }] });
    expect(committed('Bill').properties.approval_status.enum).toContain(null);
    const schemas = new RampSchemas();
    expect(schemas.problems('Cashback', { amount: { amount: 1.5, currency_code: 'USD' }, sync_status: 'SYNCED' })).not.toEqual([]);
    expect(schemas.problems('Cashback', { amount: { amount: 150, currency_code: 'USD' }, sync_status: 'SYNCED' })).toEqual([]);
    expect(schemas.problems('Cashback', { amount: { amount: 150, currency_code: 'USD' }, sync_status: 'DONE' })).not.toEqual([]);
    expect(schemas.problems('Cashback', { amount: { amount: 150, currency_code: 'USD' }, sync_status: 'SYNCED', id: 'not-a-uuid' })).not.toEqual([]);
  });
});
