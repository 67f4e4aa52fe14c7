/**
 * @module Strict readers for control-plane JSON bodies.
 *
 * Unknown keys and wrong types are 400s: a test with a typo should fail loudly rather than run
 * against a default.
 */
import { ControlError } from '../errors.ts';

export class ControlBody {
  readonly #body: Record<string, unknown>;
  readonly #seen = new Set<string>();

  constructor(body: unknown) {
    if (body === undefined || body === null || body === '') this.#body = {};
    else if (typeof body === 'object' && !Array.isArray(body)) this.#body = body as Record<string, unknown>;
    else throw new ControlError(400, 'Body must be a JSON object');
  }

  #get(name: string): unknown {
    this.#seen.add(name);
    return this.#body[name];
  }

  string(name: string, options: { nonEmpty?: boolean } = {}): string | undefined {
    const value = this.#get(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || (options.nonEmpty && value.length === 0)) throw new ControlError(400, `${name} must be a ${options.nonEmpty ? 'non-empty ' : ''}string`);
    return value;
  }

  oneOf<T extends string>(name: string, options: readonly T[]): T | undefined {
    const value = this.string(name);
    if (value !== undefined && !options.includes(value as T)) throw new ControlError(400, `${name} must be one of ${options.join(', ')}`);
    return value as T | undefined;
  }

  boolean(name: string): boolean | undefined {
    const value = this.#get(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw new ControlError(400, `${name} must be a boolean`);
    return value;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const value = this.#get(name);
    if (value === undefined || value === null) return undefined;
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) throw new ControlError(400, `${name} must be an integer in ${min}..${max}`);
    return value as number;
  }

  number(name: string, min: number, max: number): number | undefined {
    const value = this.#get(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) throw new ControlError(400, `${name} must be a number in ${min}..${max}`);
    return value;
  }

  stringArray(name: string, check?: (item: string) => boolean, what = 'strings'): string[] | undefined {
    const value = this.#get(name);
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && (!check || check(item)))) {
      throw new ControlError(400, `${name} must be an array of ${what}`);
    }
    return [...value] as string[];
  }

  /** Call last: rejects keys no reader asked for. */
  rejectUnknown(): void {
    const unknown = Object.keys(this.#body).filter((key) => !this.#seen.has(key));
    if (unknown.length > 0) throw new ControlError(400, `Unknown field(s): ${unknown.join(', ')}`);
  }
}
