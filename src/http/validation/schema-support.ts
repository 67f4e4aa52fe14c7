/**
 * @module The JSON Schema keywords `pydantic-validator.ts` implements, checked when a route is registered.
 *
 * Fastify's own validator is off (validation-plugin.ts), so a keyword our validator does not know would
 * not be enforced by anyone: the request would pass unchecked. Instead, a route whose schema uses one
 * is refused at startup, naming the route and the keyword. Keep these lists in step with the validator.
 */

type Schema = Record<string, unknown>;

/** Keywords that only document (or, for `default`, fill in an absent value): nothing to enforce. */
const ANNOTATIONS = new Set(['description', 'title', 'examples', 'example', 'default', '$id', '$comment', 'deprecated', 'readOnly', 'writeOnly']);

/** Per `type`, the keywords the validator enforces. */
const BY_TYPE: Record<string, ReadonlySet<string>> = {
  object: new Set(['type', 'properties', 'required', 'additionalProperties']),
  array: new Set(['type', 'items', 'minItems', 'maxItems']),
  string: new Set(['type', 'minLength', 'maxLength', 'pattern', 'format']),
  integer: new Set(['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']),
  number: new Set(['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']),
  boolean: new Set(['type']),
  null: new Set(['type']),
};

/** Keywords read only when their value is a number (a draft-4 `exclusiveMinimum: true` would be ignored). */
const NUMERIC = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'];

/** The string formats the validator checks (any other would be accepted unchecked). */
const FORMATS = new Set(['uuid', 'date-time', 'date']);

/**
 * Every keyword, type or keyword value in `schema` the validator would not enforce, as
 * "`keyword` at path" (path like `body.properties.scopes.items`). Empty when the schema is fully supported.
 * `topLevel` allows the route part's own markers (`optional` on a body).
 */
export function unsupportedSchemaKeywords(part: object, path: string, topLevel = true): string[] {
  const schema = part as Schema;
  const problems: string[] = [];
  const allowed = new Set(ANNOTATIONS);
  if (topLevel) allowed.add('optional');

  if (Array.isArray(schema.anyOf)) {
    // anyOf is evaluated alone: a sibling `type` or bound would be ignored.
    allowed.add('anyOf');
    schema.anyOf.forEach((branch, i) => problems.push(...unsupportedSchemaKeywords(branch as Schema, `${path}.anyOf[${i}]`, false)));
  } else if (schema.const !== undefined) {
    allowed.add('const').add('type'); // a literal; its `type` is implied by the constant
  } else if (schema.type !== undefined) {
    const byType = typeof schema.type === 'string' ? BY_TYPE[schema.type] : undefined;
    if (!byType) return [`\`type: ${JSON.stringify(schema.type)}\` at ${path}`];
    for (const keyword of byType) allowed.add(keyword);
    problems.push(...unsupportedValues(schema, path));
  }
  for (const keyword of Object.keys(schema)) {
    if (!allowed.has(keyword)) problems.push(`\`${keyword}\` at ${path}`);
  }
  return problems;
}

/** Keywords the validator knows, used with a value it does not implement; then the sub-schemas. */
function unsupportedValues(schema: Schema, path: string): string[] {
  const problems: string[] = [];
  for (const keyword of NUMERIC) {
    if (schema[keyword] !== undefined && typeof schema[keyword] !== 'number') problems.push(`\`${keyword}: ${JSON.stringify(schema[keyword])}\` at ${path}`);
  }
  if (schema.pattern !== undefined && typeof schema.pattern !== 'string') problems.push(`\`pattern\` that is not a string at ${path}`);
  if (schema.format !== undefined && !FORMATS.has(schema.format as string)) problems.push(`\`format: ${JSON.stringify(schema.format)}\` at ${path}`);
  if (schema.additionalProperties !== undefined && typeof schema.additionalProperties !== 'boolean') {
    problems.push(`\`additionalProperties\` with a schema at ${path}`);
  }
  if (schema.items !== undefined) {
    if (typeof schema.items !== 'object' || schema.items === null || Array.isArray(schema.items)) problems.push(`\`items\` that is not one schema at ${path}`);
    else problems.push(...unsupportedSchemaKeywords(schema.items as Schema, `${path}.items`, false));
  }
  for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    problems.push(...unsupportedSchemaKeywords(property, `${path}.properties.${name}`, false));
  }
  return problems;
}
