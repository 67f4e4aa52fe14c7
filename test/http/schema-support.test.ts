/**
 * The FastAPI-style validator replaces Fastify's, so a schema keyword it does not implement would be
 * enforced by nobody (validation failing open). Such a route must be refused when it is registered,
 * with an error naming the route and the keyword; every real route's schema passes (the whole app
 * boots in every other test).
 */
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import type { RouteModule } from '../../src/http/app.ts';
import { unsupportedSchemaKeywords } from '../../src/http/validation/schema-support.ts';
import { startTestApp } from '../helpers/test-app.ts';

const wrap = (property: object) => ({ type: 'object', properties: { x: property } });

describe('schema keywords the validator does not implement', () => {
  const refused: [string, object, RegExp][] = [
    ['oneOf', { oneOf: [{ type: 'string' }, { type: 'integer' }] }, /`oneOf` at body\.properties\.x/],
    ['allOf', { allOf: [{ type: 'string' }] }, /`allOf` at body\.properties\.x/],
    ['not', { not: { type: 'string' } }, /`not` at body\.properties\.x/],
    ['enum (Type.Enum)', Type.Enum(['a', 'b']), /`enum` at body\.properties\.x/],
    ['$ref', { $ref: 'Other#' }, /`\$ref` at body\.properties\.x/],
    ['patternProperties (Type.Record)', Type.Record(Type.String(), Type.String()), /`patternProperties` at body\.properties\.x/],
    ['additionalProperties with a schema', { type: 'object', additionalProperties: { type: 'string' } }, /`additionalProperties` with a schema at body\.properties\.x/],
    ['uniqueItems', { type: 'array', items: { type: 'string' }, uniqueItems: true }, /`uniqueItems` at body\.properties\.x/],
    ['a tuple of items', { type: 'array', items: [{ type: 'string' }] }, /`items` that is not one schema at body\.properties\.x/],
    ['prefixItems', { type: 'array', prefixItems: [{ type: 'string' }] }, /`prefixItems` at body\.properties\.x/],
    ['multipleOf', { type: 'integer', multipleOf: 5 }, /`multipleOf` at body\.properties\.x/],
    ['draft-4 exclusiveMinimum', { type: 'number', minimum: 0, exclusiveMinimum: true }, /`exclusiveMinimum: true` at body\.properties\.x/],
    ['minProperties', { type: 'object', minProperties: 1 }, /`minProperties` at body\.properties\.x/],
    ['an unchecked format', { type: 'string', format: 'email' }, /`format: "email"` at body\.properties\.x/],
    ['a type list', { type: ['string', 'null'] }, /`type: \["string","null"\]` at body\.properties\.x/],
    ['an unknown type', { type: 'file' }, /`type: "file"` at body\.properties\.x/],
    ['a sibling of anyOf', { anyOf: [{ type: 'string' }, { type: 'null' }], maxLength: 3 }, /`maxLength` at body\.properties\.x/],
    ['a keyword of another type', { type: 'string', minimum: 1 }, /`minimum` at body\.properties\.x/],
    ['deep in an anyOf branch and array items', { anyOf: [{ type: 'array', items: { type: 'string', contentEncoding: 'base64' } }, { type: 'null' }] }, /`contentEncoding` at body\.properties\.x\.anyOf\[0\]\.items/],
  ];
  for (const [name, property, message] of refused) {
    it(`refuses ${name}`, () => {
      expect(unsupportedSchemaKeywords(wrap(property), 'body').join('; ')).toMatch(message);
    });
  }

  it('accepts what it implements, annotations included', () => {
    const supported = Type.Object(
      {
        id: Type.String({ format: 'uuid', description: 'documented' }),
        name: Type.String({ minLength: 1, maxLength: 10, pattern: '^[a-z]+$', examples: ['abc'] }),
        when: Type.Optional(Type.String({ format: 'date-time' })),
        day: Type.Optional(Type.String({ format: 'date' })),
        n: Type.Integer({ minimum: 1, maximum: 9, default: 3 }),
        ratio: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
        flag: Type.Boolean(),
        tags: Type.Optional(Type.Union([Type.Array(Type.String(), { minItems: 1, maxItems: 3 }), Type.Null()])),
        kind: Type.Union([Type.Literal('a'), Type.Literal('b')]),
        anything: Type.Unknown(),
      },
      { additionalProperties: false, $id: 'Supported', title: 'Supported' },
    );
    expect(unsupportedSchemaKeywords(supported, 'body')).toEqual([]);
  });

  it('refuses such a route at startup, naming the route and the keyword', async () => {
    const bad: RouteModule = (app) => {
      app.get('/__test/search', { config: { auth: { kind: 'user' } }, schema: { querystring: Type.Object({ q: Type.String({ format: 'email' }) }) } }, async () => ({}));
    };
    await expect(startTestApp('sqlite', [bad])).rejects.toThrow(/Route GET \/__test\/search: .*`format: "email"` at query\.properties\.q/);
  });

  it('refuses a body keyword at startup too', async () => {
    const bad: RouteModule = (app) => {
      app.post('/__test/shapes', { config: { auth: { kind: 'user' } }, schema: { body: Type.Object({ shape: Type.Object({}, { minProperties: 1 }) }) } }, async () => ({}));
    };
    await expect(startTestApp('sqlite', [bad])).rejects.toThrow(/Route POST \/__test\/shapes: .*`minProperties` at body\.properties\.shape/);
  });
});
