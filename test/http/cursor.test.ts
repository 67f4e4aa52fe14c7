/**
 * List cursors are opaque: only one this API could have returned for the route is read, anything else
 * is the 400 "cursor is not a cursor this API returned" (README "HTTP API"). The decoder
 * (src/core/pagination.ts) by property over random cursors, texts and near misses; then every list
 * route taking `cursor`, over real HTTP, with forged ones (a forged `["a","b"]` read an empty page,
 * `[1e400,"x"]` the first page).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/core/errors.ts';
import { BUSINESS_CURSOR, CREATED_AT_CURSOR, RECORD_CURSOR, decodeCursor, encodeCursor, type Cursor, type CursorShape } from '../../src/core/pagination.ts';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const INVALID_CURSOR = { detail: 'cursor is not a cursor this API returned', code: 'invalid_request' };
const SHAPES: readonly [string, CursorShape][] = [
  ['created_at', CREATED_AT_CURSOR],
  ['record', RECORD_CURSOR],
  ['business', BUSINESS_CURSOR],
];
const UUID = '3b241101-e2bb-4255-8caf-4136c566a962';
const b64url = (json: string) => Buffer.from(json, 'utf8').toString('base64url');

/** A cursor the API returns for rows of this shape: their sort key and id. */
function cursorOf(shape: CursorShape): fc.Arbitrary<Cursor> {
  const key =
    shape.key === 'epoch_ms'
      ? fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.maxSafeInteger(), fc.constant(Number.MIN_SAFE_INTEGER), fc.integer())
      : fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }).map((d) => d.toISOString());
  const id = shape.id === 'uuid' ? fc.uuid() : fc.string({ minLength: 1, maxLength: 60, unit: 'binary' });
  return fc.record({ key, id });
}

/** Whether decoding `raw` as `shape` is refused with the cursor 400. */
function refused(raw: string, shape: CursorShape): boolean {
  try {
    decodeCursor(raw, shape);
    return false;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect({ detail: (error as ApiError).detail, code: (error as ApiError).code }).toEqual(INVALID_CURSOR);
    return true;
  }
}

describe('decodeCursor', () => {
  for (const [name, shape] of SHAPES) {
    it(`${name}: every cursor the API encodes decodes to itself`, () => {
      fc.assert(
        fc.property(cursorOf(shape), (cursor) => {
          expect(decodeCursor(encodeCursor(cursor), shape)).toEqual(cursor);
        }),
        { numRuns: 300 },
      );
    });

    it(`${name}: any other text is refused: what decodes is exactly the encoding of a cursor of the shape`, () => {
      const near = cursorOf(shape).chain((cursor) => {
        const raw = encodeCursor(cursor);
        return fc.oneof(
          // One character replaced, inserted or removed; padding; standard base64.
          fc.tuple(fc.nat(raw.length - 1), fc.constantFrom(...'A0_-+/=. \n%'.split(''))).map(([i, c]) => raw.slice(0, i) + c + raw.slice(i + 1)),
          fc.tuple(fc.nat(raw.length), fc.constantFrom(...'Aa0_-='.split(''))).map(([i, c]) => raw.slice(0, i) + c + raw.slice(i)),
          fc.nat(raw.length - 1).map((i) => raw.slice(0, i) + raw.slice(i + 1)),
          fc.constant(Buffer.from(JSON.stringify([cursor.key, cursor.id])).toString('base64')),
          fc.constant(`${raw}=`),
        );
      });
      // Any JSON under base64url, and any text at all.
      const anyJson = fc.jsonValue().map((v) => b64url(JSON.stringify(v)));
      fc.assert(
        fc.property(fc.oneof(near, anyJson, fc.string({ maxLength: 80 })), (raw) => {
          if (raw === '' || refused(raw, shape)) return;
          const cursor = decodeCursor(raw, shape)!;
          expect(encodeCursor(cursor)).toBe(raw);
          expect(decodeCursor(encodeCursor(cursor), shape)).toEqual(cursor);
        }),
        { numRuns: 1000 },
      );
    });
  }

  it('refuses wrong shapes, element types, non-finite and inexact numbers, non-canonical times and ids', () => {
    const everywhere = [
      '["a","b"]',
      '[1e400,"x"]',
      `[1e400,"${UUID}"]`,
      `[-1e400,"${UUID}"]`,
      `[1.5,"${UUID}"]`,
      `[9007199254740992,"${UUID}"]`,
      `[1,"${UUID}","x"]`,
      '[1]',
      '[]',
      `{"key":1,"id":"${UUID}"}`,
      `[null,"${UUID}"]`,
      `[true,"${UUID}"]`,
      `[[1],"${UUID}"]`,
      '[1,null]',
      '[1,2]',
      '[1,""]',
      `[1, "${UUID}"]`,
      '"x"',
      'null',
      '1',
    ];
    for (const [name, shape] of SHAPES) {
      for (const json of everywhere) expect(refused(b64url(json), shape), `${name} ${json}`).toBe(true);
    }
    for (const json of [`[1,"${UUID.slice(1)}"]`, `[1,"${UUID}0"]`, '[1,"not-a-uuid"]', `["2024-01-01T00:00:00.000Z","${UUID}"]`]) {
      expect(refused(b64url(json), CREATED_AT_CURSOR), json).toBe(true);
    }
    for (const json of [`["2024-01-01T00:00:00.000Z","x"]`, `["1700000000000","x"]`]) expect(refused(b64url(json), RECORD_CURSOR), json).toBe(true);
    for (const json of [`[1700000000000,"${UUID}"]`, `["2024-01-01T00:00:00Z","${UUID}"]`, `["2024-02-30T00:00:00.000Z","${UUID}"]`, `["yesterday","${UUID}"]`]) {
      expect(refused(b64url(json), BUSINESS_CURSOR), json).toBe(true);
    }
    // Garbage, and a good cursor spelled otherwise: padded, standard alphabet, with whitespace.
    const good = encodeCursor({ key: 1_700_000_000_000, id: UUID });
    expect(decodeCursor(good, CREATED_AT_CURSOR)).toEqual({ key: 1_700_000_000_000, id: UUID });
    for (const raw of ['garbage', '!!!!', `${good}=`, `${good} `, ` ${good}`, `${good.slice(0, 10)}\n${good.slice(10)}`]) {
      expect(refused(raw, CREATED_AT_CURSOR), JSON.stringify(raw)).toBe(true);
    }
    expect(decodeCursor(undefined, RECORD_CURSOR)).toBeUndefined();
    expect(decodeCursor('', RECORD_CURSOR)).toBeUndefined();
  });
});

describe('every list route taking a cursor', () => {
  let t: TestServer;
  let owner: Tenant;
  let endpointId: string;
  beforeAll(async () => {
    t = await startTestServer({ dialect: 'sqlite' });
    owner = await createTenant(t.server.ctx.db, 'owner');
    const endpoint = await request(`${t.url}/api/v1/webhooks`, { method: 'POST', headers: owner.headers, json: { url: 'http://127.0.0.1:9/hook' } });
    expect(endpoint.status).toBe(201);
    endpointId = endpoint.body.id;
  });
  afterAll(async () => t?.close());

  /** What each route's `next_cursor`s hold, by the OpenAPI path. */
  const shapeOf = (path: string): CursorShape =>
    path === '/api/v1/businesses' ? BUSINESS_CURSOR : path.startsWith('/api/v1/ramp/') ? RECORD_CURSOR : CREATED_AT_CURSOR;
  const example: Record<'created_at' | 'record' | 'business', string> = {
    created_at: encodeCursor({ key: 1_700_000_000_000, id: UUID }),
    record: encodeCursor({ key: 1_700_000_000_000, id: 'a-ramp-id' }),
    business: encodeCursor({ key: '2023-11-14T22:13:20.000Z', id: UUID }),
  };
  const nameOf = (shape: CursorShape) => SHAPES.find(([, s]) => s === shape)![0] as keyof typeof example;

  it('a forged cursor is the 400 on each; its own kind of cursor reads a page', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>> };
    const paths = Object.entries(doc.paths)
      .filter(([, ops]) => ops.get?.parameters?.some((p) => p.in === 'query' && p.name === 'cursor'))
      .map(([path]) => path);
    expect(paths).toEqual(expect.arrayContaining(['/api/v1/businesses', '/api/v1/ramp/transactions', '/api/v1/ramp/accounting/ready', '/api/v1/webhooks', '/api/v1/webhooks/{webhook_id}/deliveries', '/api/v1/events']));
    expect(paths.length).toBeGreaterThanOrEqual(24);
    const forged = [
      Buffer.from('["a","b"]').toString('base64'),
      Buffer.from('[1e400,"x"]').toString('base64'),
      b64url(`[1e400,"${UUID}"]`),
      b64url(`[1,"${UUID}",2]`),
      b64url(`[0.5,"${UUID}"]`),
      b64url('[1,""]'),
      `${example.created_at}=`,
      'garbage',
    ];
    for (const path of paths) {
      const url = `${t.url}${path.replace('{webhook_id}', endpointId)}?${path.endsWith('/ready') ? 'type=transactions&' : ''}cursor=`;
      const shape = shapeOf(path);
      // Another route's kind of cursor (a created-at cursor is also a record one: Ramp ids are any text).
      const others = Object.entries(example).filter(([name]) => name !== nameOf(shape) && !(shape === RECORD_CURSOR && name === 'created_at')).map(([, raw]) => raw);
      for (const raw of [...forged, ...others]) {
        const res = await request(`${url}${encodeURIComponent(raw)}`, { headers: owner.headers });
        expect([res.status, res.body], `${path} ${Buffer.from(raw, 'base64url').toString()}`).toEqual([400, INVALID_CURSOR]);
      }
      const own = await request(`${url}${example[nameOf(shape)]}`, { headers: owner.headers });
      expect(own.status, path).toBe(200);
      expect(own.body.items, path).toEqual(expect.any(Array));
    }
  });
});
