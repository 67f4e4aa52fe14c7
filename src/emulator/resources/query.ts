/**
 * @module Query-parameter validation for the resource API.
 *
 * Ramp validates with marshmallow-style messages and answers 422 `DEVELOPER_7001` with
 * `{field: [messages]}` (error-handling example, docs/ramp-behaviour.md#errors). Every bad parameter is
 * collected before answering. A repeated parameter uses its first value, as Flask's `args.get` does.
 */
import { isUuid } from '../ids.ts';

export class QueryReader {
  readonly errors: Record<string, string[]> = {};
  readonly #params: URLSearchParams;

  constructor(params: URLSearchParams) {
    this.#params = params;
  }

  #fail(name: string, message: string): undefined {
    (this.errors[name] ??= []).push(message);
    return undefined;
  }

  raw(name: string): string | undefined {
    const value = this.#params.get(name);
    return value === null ? undefined : value;
  }

  integer(name: string, bounds: { min: number; max: number; fallback: number; message: string }): number {
    const value = this.raw(name);
    if (value === undefined) return bounds.fallback;
    if (!/^[+-]?\d+$/.test(value.trim())) return this.#fail(name, 'Not a valid integer.') ?? bounds.fallback;
    const parsed = Number(value);
    if (parsed < bounds.min || parsed > bounds.max) return this.#fail(name, bounds.message) ?? bounds.fallback;
    return parsed;
  }

  uuid(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    return isUuid(value) ? value.toLowerCase() : this.#fail(name, 'Not a valid UUID.');
  }

  /** ISO-8601 date or date-time; no offset means UTC (Ramp monetary-values/dates guide, B7.1). */
  dateTime(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value.trim());
    if (!match) return this.#fail(name, 'Not a valid datetime.');
    const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '0', zone = 'Z'] = match;
    const offset = zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
    const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}.${fraction.padEnd(3, '0').slice(0, 3)}${offset}`);
    return Number.isNaN(ms) ? this.#fail(name, 'Not a valid datetime.') : ms;
  }

  oneOf<T extends string>(name: string, options: readonly T[]): T | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    return options.includes(value as T) ? (value as T) : this.#fail(name, `Must be one of: ${options.join(', ')}.`);
  }

  number(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    return value.trim() !== '' && Number.isFinite(parsed) ? parsed : this.#fail(name, 'Not a valid number.');
  }

  boolean(name: string): boolean | undefined {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return undefined;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    return this.#fail(name, 'Not a valid boolean.');
  }

  get valid(): boolean {
    return Object.keys(this.errors).length === 0;
  }
}
