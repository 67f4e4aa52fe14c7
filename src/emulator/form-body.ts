/**
 * @module `application/x-www-form-urlencoded` body parser.
 *
 * Written here (rather than @fastify/formbody) to keep repeated parameters visible: RFC 6749 §3.1
 * and §3.2 say request parameters "MUST NOT be included more than once", so a repeated name is
 * returned as an array and the token endpoint rejects it with `invalid_request`.
 */
export type FormFields = Record<string, string | string[]>;

export function parseFormBody(raw: string): FormFields {
  const fields: FormFields = Object.create(null) as FormFields;
  for (const [name, value] of new URLSearchParams(raw)) {
    const existing = fields[name];
    if (existing === undefined) fields[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else fields[name] = [existing, value];
  }
  return fields;
}
