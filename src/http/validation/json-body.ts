/**
 * @module JSON body parsing with Python's error messages and positions, so a malformed body yields
 * FastAPI's `json_invalid` entry (`loc: ["body", <pos>]`, `ctx.error` = the `json` module's message).
 * `JSON.parse` does the work; the scanner below runs only on failure to say what Python would say.
 */

/**
 * The deepest nesting of arrays and objects a body may have. `JSON.parse` itself builds any depth, but
 * everything after it recurses over the value (the validator, the secret masking of a 422's inputs,
 * the reply's serializer, the Idempotency-Key body comparison, the scanner below) and ran out of stack
 * somewhere between 3,000 and 6,000 levels: a 500. Python's `json` stops below 1,000 levels
 * (RecursionError), which FastAPI answers with a 400. No body of this API nests beyond 6 levels;
 * 128 leaves room for any sane client and stays far from the stack's limit on every path.
 */
export const MAX_JSON_DEPTH = 128;

export type JsonParse =
  | { ok: true; value: unknown }
  | { ok: false; tooDeep: false; message: string; position: number }
  | { ok: false; tooDeep: true };

export function parseJsonText(text: string): JsonParse {
  // Checked on the text, before parsing, so that a malformed body too never reaches the (recursive)
  // scanner deeper than the limit.
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return { ok: false, tooDeep: true };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    const failure = new PythonJsonScanner(text).findError();
    // Python's offset counts characters (code points); ours counts UTF-16 units ('🔑' is 2 of them).
    return { ok: false, tooDeep: false, message: failure.message, position: [...text.slice(0, failure.position)].length };
  }
}

/**
 * Whether some prefix of `text` opens more than `limit` arrays and objects without closing them,
 * brackets inside strings aside. Iterative, one pass; for malformed text the depth it counts up to
 * the first error is the scanner's.
 */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* backslash: skip the escaped character */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if ((c === 0x5d /* ] */ || c === 0x7d /* } */) && depth > 0) depth--;
  }
  return false;
}

class ScanError extends Error {
  constructor(readonly pythonMessage: string, readonly position: number) {
    super(pythonMessage);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;

/** Mirrors CPython's `json.decoder` scanner closely enough to reproduce its first error. */
class PythonJsonScanner {
  #i = 0;
  constructor(private readonly s: string) {}

  findError(): { message: string; position: number } {
    try {
      this.#ws();
      this.#value();
      this.#ws();
      if (this.#i < this.s.length) throw new ScanError('Extra data', this.#i);
      // JSON.parse refused something Python accepts (e.g. a lone surrogate); report it generically.
      return { message: 'Expecting value', position: 0 };
    } catch (error) {
      if (error instanceof ScanError) return { message: error.pythonMessage, position: error.position };
      throw error;
    }
  }

  #ws(): void {
    while (this.#i < this.s.length && ' \t\n\r'.includes(this.s[this.#i]!)) this.#i++;
  }

  #value(): void {
    const c = this.s[this.#i];
    if (c === '{') return this.#object();
    if (c === '[') return this.#array();
    if (c === '"') return this.#string();
    for (const word of ['null', 'true', 'false', 'NaN', 'Infinity', '-Infinity']) {
      if (this.s.startsWith(word, this.#i)) {
        this.#i += word.length;
        return;
      }
    }
    NUMBER.lastIndex = this.#i;
    const match = NUMBER.exec(this.s);
    if (match) {
      this.#i += match[0].length;
      return;
    }
    throw new ScanError('Expecting value', this.#i);
  }

  #object(): void {
    this.#i++;
    this.#ws();
    if (this.s[this.#i] === '}') {
      this.#i++;
      return;
    }
    for (;;) {
      if (this.s[this.#i] !== '"') throw new ScanError('Expecting property name enclosed in double quotes', this.#i);
      this.#string();
      this.#ws();
      if (this.s[this.#i] !== ':') throw new ScanError("Expecting ':' delimiter", this.#i);
      this.#i++;
      this.#ws();
      this.#value();
      this.#ws();
      const c = this.s[this.#i];
      if (c === '}') {
        this.#i++;
        return;
      }
      if (c !== ',') throw new ScanError("Expecting ',' delimiter", this.#i);
      this.#i++;
      this.#ws();
    }
  }

  #array(): void {
    this.#i++;
    this.#ws();
    if (this.s[this.#i] === ']') {
      this.#i++;
      return;
    }
    for (;;) {
      this.#value();
      this.#ws();
      const c = this.s[this.#i];
      if (c === ']') {
        this.#i++;
        return;
      }
      if (c !== ',') throw new ScanError("Expecting ',' delimiter", this.#i);
      this.#i++;
      this.#ws();
    }
  }

  #string(): void {
    const start = this.#i;
    this.#i++;
    while (this.#i < this.s.length) {
      const c = this.s[this.#i]!;
      if (c === '"') {
        this.#i++;
        return;
      }
      if (c === '\\') {
        const e = this.s[this.#i + 1];
        if (e === undefined) break;
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.s.slice(this.#i + 2, this.#i + 6))) throw new ScanError('Invalid \\uXXXX escape', this.#i + 1);
          this.#i += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) throw new ScanError('Invalid \\escape', this.#i);
        this.#i += 2;
        continue;
      }
      if (c.charCodeAt(0) < 0x20) throw new ScanError('Invalid control character at', this.#i);
      this.#i++;
    }
    throw new ScanError('Unterminated string starting at', start);
  }
}
