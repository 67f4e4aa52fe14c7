/**
 * @module FastAPI-compatible request validation for Fastify.
 *
 * Fastify validates params → body → querystring → headers and stops at the first failing part with a 400.
 * FastAPI reports every problem at once as a 422, path, then query, then header, then body
 * (`fastapi/dependencies/utils.py`, `solve_dependencies`). So Fastify's validator is switched off
 * (a pass-through compiler) and one `preValidation` hook per route validates all parts in FastAPI's
 * order with `pydantic-validator.ts`, replacing each part with its coerced value.
 *
 * A check the schema cannot express (duplicate ids in a list, one field against another) is declared
 * by the route as `config.bodyValidators`, pydantic's field and model validators: they run inside the
 * body's validation, so their problems join the schema's in one 422, in pydantic's order.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { ApiError, RequestValidationError, type ValidationIssue } from '../../core/errors.ts';
import { parseJsonText } from './json-body.ts';
import { schemasAt, validateAgainstSchema, type Validators } from './pydantic-validator.ts';
import { unsupportedSchemaKeywords } from './schema-support.ts';

type Part = 'params' | 'querystring' | 'headers' | 'body';
/** Schema part, FastAPI's loc name, and the request property holding the values. */
const ORDER: readonly [Part, string, 'params' | 'query' | 'headers' | 'body'][] = [
  ['params', 'path', 'params'],
  ['querystring', 'query', 'query'],
  ['headers', 'header', 'headers'],
  ['body', 'body', 'body'],
];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** pydantic's field and model validators of the body (`Validators` in pydantic-validator.ts). */
    bodyValidators?: Validators;
  }
  interface FastifyRequest {
    /** The raw request body text, kept for signature checks (Ramp webhooks). */
    rawBody?: string;
  }
}

/** Must be registered before any route. */
export function installFastApiValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(() => (value) => ({ value }));

  app.removeAllContentTypeParsers();
  // FastAPI decodes `application/json` and any `application/*+json` (`application/merge-patch+json`, …) as JSON.
  // Fastify matches the regular expression against the normalised, lower-case `type/subtype; k="v"`.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);
  app.addContentTypeParser(/^application\/[^;]*\+json(?:;|$)/, { parseAs: 'string' }, parseJsonBody);
  // Any other media type reaches validation as text, where a model body reports it (FastAPI does the same).
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    if ((body as string).length === 0) return done(null, undefined);
    textBodies.add(request);
    done(null, body);
  });

  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as Partial<Record<Part, Record<string, any>>> | undefined;
    if (!schema) return;
    refuseUnsupportedSchemas(route, schema);
    const bodyValidators = (route.config as { bodyValidators?: Validators } | undefined)?.bodyValidators;
    refuseUnknownValidatorPaths(route, schema.body, bodyValidators);
    // A part whose every field is an optional, unconstrained string can never fail (e.g. the documented
    // but optional x-business-id header): skip it so hot routes pay nothing for documentation.
    const parts = ORDER.filter(([part]) => schema[part] !== undefined && (part === 'body' || canFail(schema[part]!)));
    if (parts.length === 0) return;
    const validate = async (request: FastifyRequest) => {
      const issues: ValidationIssue[] = [];
      for (const [part, locName, property] of parts) {
        const partSchema = schema[part]!;
        const raw = part === 'body' ? request.body : normaliseStringPart(partSchema, request[property] as Record<string, unknown>);
        // A JSON `null` body is a missing body to FastAPI (`if value is None: … missing`), not a wrong type.
        if (part === 'body' && (raw === undefined || raw === null)) {
          if ((partSchema as { optional?: boolean }).optional !== true) issues.push({ type: 'missing', loc: ['body'], msg: 'Field required', input: null });
          continue;
        }
        // Path, query and header values are strings; pydantic's `input` for a missing one is null,
        // so those parts are validated field by field with a null parent.
        const result = part === 'body' ? validateAgainstSchema(partSchema, raw, ['body'], bodyValidators) : validateParameters(partSchema, raw as Record<string, unknown>, locName);
        issues.push(...result.issues);
        if (result.issues.length === 0) {
          if (part === 'headers') Object.assign(request.headers, result.value);
          else (request as unknown as Record<string, unknown>)[property] = result.value;
        }
      }
      if (issues.length > 0) {
        const textBody = textBodies.has(request);
        throw new RequestValidationError(issues.map((issue) => redactInput(issue, textBody)));
      }
    };
    const existing = route.preValidation;
    route.preValidation = existing === undefined ? [validate] : [...(Array.isArray(existing) ? existing : [existing]), validate];
  });
}

/** Requests whose body was kept as the text sent (not JSON): see `redactInput`. */
const textBodies = new WeakSet<FastifyRequest>();

function parseJsonBody(request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void): void {
  const text = body as string;
  request.rawBody = text;
  // An empty body is "missing", as in FastAPI (`if body_bytes: json_body = await request.json()`).
  if (text.length === 0) return done(null, undefined);
  // Python's json.loads(bytes) reads a UTF-8 byte-order mark as the encoding's signature, not as text.
  const parsed = parseJsonText(text.startsWith('\uFEFF') ? text.slice(1) : text);
  if (parsed.ok) return done(null, parsed.value);
  // Nested deeper than Python's decoder recurses: FastAPI's 400 (not a JSONDecodeError, so no json_invalid).
  if (parsed.tooDeep) return done(new ApiError('json_too_deep'), undefined);
  // FastAPI raises the decode error on its own, before validating anything else.
  done(new RequestValidationError([{ type: 'json_invalid', loc: ['body', parsed.position], msg: 'JSON decode error', input: {}, ctx: { error: parsed.message } }]), undefined);
}

/**
 * Fastify's validator is off, so a keyword the FastAPI-style validator does not implement would let
 * requests through unchecked (validation failing open). Such a route is refused at registration.
 */
function refuseUnsupportedSchemas(route: RouteOptions, schema: Partial<Record<Part, Record<string, any>>>): void {
  const problems = ORDER.flatMap(([part, locName]) => (schema[part] === undefined ? [] : unsupportedSchemaKeywords(schema[part]!, locName)));
  if (problems.length === 0) return;
  const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
  throw new Error(
    `Route ${methods} ${route.url}: its request schema uses what the FastAPI-style validator does not enforce: ${problems.join('; ')}. ` +
      'Implement it in src/http/validation/pydantic-validator.ts (and schema-support.ts) or change the schema.',
  );
}

/** A validator whose path names no field of the body (a typo, a renamed field) would never run: refused at registration. */
function refuseUnknownValidatorPaths(route: RouteOptions, body: Record<string, any> | undefined, validators: Validators | undefined): void {
  if (!validators) return;
  const problems = [
    ...Object.keys(validators.fields ?? {}).filter((path) => path === '' || body === undefined || schemasAt(body, path).length === 0).map((path) => `field validator '${path}'`),
    ...Object.keys(validators.models ?? {}).filter((path) => body === undefined || !schemasAt(body, path).some((s) => s.type === 'object')).map((path) => `model validator '${path}'`),
  ];
  if (problems.length === 0) return;
  const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
  throw new Error(`Route ${methods} ${route.url}: ${problems.join(', ')} names no field (no object, for a model validator) of its body schema.`);
}

/** Repeated query keys arrive as arrays; a scalar parameter takes the last value, as Starlette does. */
function normaliseStringPart(schema: Record<string, any>, values: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values ?? {})) {
    const declared = schema.properties?.[key];
    out[key] = Array.isArray(value) && declared?.type !== 'array' ? value[value.length - 1] : value;
  }
  return out;
}

function validateParameters(schema: Record<string, any>, values: Record<string, unknown>, locName: string) {
  const issues: ValidationIssue[] = [];
  const value: Record<string, unknown> = {};
  const required = new Set<string>(schema.required ?? []);
  for (const [name, propertySchema] of Object.entries<Record<string, any>>(schema.properties ?? {})) {
    const raw = values[name];
    if (raw === undefined || (raw === '' && locName !== 'path' && propertySchema.type !== 'string')) {
      if (required.has(name)) issues.push({ type: 'missing', loc: [locName, name], msg: 'Field required', input: null });
      else if (propertySchema.default !== undefined) value[name] = propertySchema.default;
      continue;
    }
    const result = validateAgainstSchema(propertySchema, raw, [locName, name]);
    issues.push(...result.issues);
    value[name] = result.value;
  }
  return { value, issues };
}

const SECRET_KEY = /secret|token|password|authorization|cookie|verifier/i;
const MASK = '**********';

/**
 * FastAPI echoes the offending input, which for a missing field is the whole body. Secrets must never
 * come back in a response, so every input under a secret-named field is masked, whatever its type
 * (`{"client_secret": ["…"]}`, `{"client_secret": {"a": "…"}}`, an item of it), and secret-named keys
 * inside an echoed object too: the one deliberate difference from FastAPI's 422 bodies.
 *
 * A body that was not decoded as JSON (`text/plain`, a form, no content type) has no fields to tell a
 * secret by: FastAPI echoes the whole text (`client_id=a&client_secret=…`) as the `input` of its
 * `model_attributes_type`. So any input of such a body is masked, on every route: whether the route's
 * schema names a secret says nothing about the text (a form sent to the wrong route, a webhook URL's
 * password), and the caller, who sent the text, loses nothing. A JSON string body (`"x"`) is a value the
 * client chose to send as a string and is echoed as FastAPI does.
 */
function redactInput(issue: ValidationIssue, textBody: boolean): ValidationIssue {
  if (textBody && issue.loc[0] === 'body' && issue.input !== null && issue.input !== undefined) return { ...issue, input: MASK };
  // A `missing` error's input is the parent object (its last loc is the absent field), anything
  // else's input is the value at its loc.
  const path = issue.type === 'missing' ? issue.loc.slice(0, -1) : issue.loc;
  const underSecret = path.some((segment) => typeof segment === 'string' && SECRET_KEY.test(segment));
  if (underSecret && issue.input !== null && issue.input !== undefined) return { ...issue, input: MASK };
  return { ...issue, input: redactValue(issue.input) };
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== null && v !== undefined ? MASK : redactValue(v)]));
}

function canFail(schema: Record<string, any>): boolean {
  if ((schema.required ?? []).length > 0) return true;
  return Object.values<Record<string, any>>(schema.properties ?? {}).some(
    (p) => p.type !== 'string' || Object.keys(p).some((k) => !['type', 'description', 'title', 'examples'].includes(k)),
  );
}
