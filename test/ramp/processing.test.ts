/**
 * Processing Ramp answers on recorded bodies (request/process split): pages, `page.next` checks,
 * `error_v2` envelopes mapped onto our catalogue, and no token in any error text.
 */
import { describe, expect, it } from 'vitest';
import { processBusinessResponse } from '../../src/ramp/endpoints/business.ts';
import { buildPageRequest, listUrl, processPageResponse } from '../../src/ramp/endpoints/list-page.ts';
import { isUnderApiBase } from '../../src/ramp/api-base.ts';
import { apiErrorForRampAnswer, RampAnswerError, readRampError, scrubText } from '../../src/ramp/ramp-errors.ts';
import { RampResponse, ResponseBody } from '../../src/ramp/ramp-response.ts';
import { MAX_OUTLINE_BYTES, PartSinkError, StoredParts } from '../../src/ramp/kept-array-scanner.ts';
import type { RampAccess } from '../../src/ramp/access-token-provider.ts';

const TOKEN = 'ramp_tok_abcdefghijklmnopqrstuvwxyz0123456789';
const access: RampAccess = { connectionId: 'c1', accessToken: TOKEN, apiBaseUrl: 'https://demo-api.ramp.com', environment: 'sandbox', expiresAt: Date.now() + 3_600_000 };
const NOW = Date.parse('2026-11-26T10:00:00Z');

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  RampResponse.of(status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });

/** The docs' validation example (docs/ramp-behaviour.md#errors). */
const VALIDATION_422 = {
  error_v2: { error_code: 'DEVELOPER_7001', additional_info: { page_size: ['Value must be between 2 and 100'] }, notes: '', message: 'Value must be between 2 and 100' },
  error: { page_size: ['Value must be between 2 and 100'] },
};
/** Observed missing-scope answer (docs/ramp-behaviour.md#errors). */
const MISSING_SCOPE_403 = { error_v2: { additional_info: {}, notes: '', error_code: 'DEVELOPER_7100', message: 'These scopes are not allowed for this token: accounting:write' }, error: { message: 'x', details: {} } };

describe('list pages', () => {
  it('builds the first page URL under /developer/v1 with only the filters given', () => {
    const url = listUrl(access, 'transactions', { page_size: 100, state: 'ALL', from_date: undefined, updated_after: '2026-01-01T00:00:00.000Z' });
    expect(url.href).toBe('https://demo-api.ramp.com/developer/v1/transactions?page_size=100&state=ALL&updated_after=2026-01-01T00%3A00%3A00.000Z');
    const emulator = { ...access, apiBaseUrl: 'http://127.0.0.1:9/sandbox' };
    expect(listUrl(emulator, 'cards', {}).href).toBe('http://127.0.0.1:9/sandbox/developer/v1/cards');
    const request = buildPageRequest(access, url.href);
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request.url.href).toBe(url.href);
  });

  it('reads {data, page: {next}} and follows only links under the API base', async () => {
    const next = 'https://demo-api.ramp.com/developer/v1/transactions?page_size=2&start=b';
    const ok = await processPageResponse(json(200, { data: [{ id: 'a' }, { id: 'b' }], page: { next } }), access, NOW);
    expect(ok).toEqual({ kind: 'ok', value: { records: [{ id: 'a' }, { id: 'b' }], next } });
    const last = await processPageResponse(json(200, { data: [], page: { next: null } }), access, NOW);
    expect(last).toEqual({ kind: 'ok', value: { records: [], next: null } });
    for (const foreign of [
      'https://evil.example/developer/v1/transactions?start=b',
      'http://demo-api.ramp.com/developer/v1/transactions',
      'https://demo-api.ramp.com.evil.example/developer/v1/transactions',
      'https://user@demo-api.ramp.com/developer/v1/transactions',
      'https://demo-api.ramp.com/other/transactions',
      'https://demo-api.ramp.com:8443/developer/v1/transactions',
    ]) {
      const outcome = await processPageResponse(json(200, { data: [], page: { next: foreign } }), access, NOW);
      expect(outcome.kind, foreign).toBe('failed');
    }
  });

  it('refuses malformed pages and redirects', async () => {
    expect((await processPageResponse(json(200, { data: {} }), access, NOW)).kind).toBe('failed');
    expect((await processPageResponse(json(200, { data: [{ name: 'no id' }] }), access, NOW)).kind).toBe('failed');
    expect((await processPageResponse(RampResponse.of(200, 'not json'), access, NOW)).kind).toBe('failed');
    const redirect = await processPageResponse(RampResponse.of(302, '', { location: 'https://evil.example/' }), access, NOW);
    expect(redirect).toMatchObject({ kind: 'failed', error: { code: 'ramp_error' } });
  });

  describe('with arrays stored apart (a statement\'s lines)', () => {
    const parts: { generation: string; field: string; partNo: number; text: string }[] = [];
    const kept = { keys: new Set(['statement_lines']), sink: { write: async (part: (typeof parts)[number]) => void parts.push(part) }, partBytes: 8 };
    const statement = { id: 's1', ending_balance: { amount: 5, currency_code: 'USD' }, statement_lines: [{ id: 'l1' }, { id: 'l2' }, { id: 'l3' }] };

    it('hands the lines to the sink in parts and the record keeps a StoredParts in their place', async () => {
      parts.length = 0;
      const outcome = await processPageResponse(json(200, { data: [statement], page: { next: null } }), access, NOW, kept);
      if (outcome.kind !== 'ok') throw new Error(`expected ok, got ${outcome.kind}`);
      const record = outcome.value.records[0]!;
      expect(record).toEqual({ id: 's1', ending_balance: statement.ending_balance, statement_lines: expect.any(StoredParts) });
      expect(parts.length).toBeGreaterThan(1);
      expect(JSON.parse(parts.map((part) => part.text).join(''))).toEqual(statement.statement_lines);
    });

    it('refuses what a page without them refuses: malformed JSON, a record without id, a foreign next link', async () => {
      const body = JSON.stringify({ data: [statement], page: { next: null } });
      expect(await processPageResponse(RampResponse.of(200, body.slice(0, -3)), access, NOW, kept)).toMatchObject({ kind: 'failed', error: { code: 'ramp_error' } });
      expect((await processPageResponse(json(200, { data: [{ statement_lines: [] }] }), access, NOW, kept)).kind).toBe('failed');
      expect((await processPageResponse(json(200, { data: [statement], page: { next: 'https://evil.example/developer/v1/statements' } }), access, NOW, kept)).kind).toBe('failed');
    });

    it('an outline over 16 MB is ramp_response_too_large; an error answer is classified as any other', async () => {
      const huge = JSON.stringify({ data: [{ id: 'x', pad: 'x'.repeat(MAX_OUTLINE_BYTES) }] });
      expect(await processPageResponse(RampResponse.of(200, huge), access, NOW, kept)).toMatchObject({ kind: 'failed', error: { code: 'ramp_response_too_large' } });
      expect((await processPageResponse(json(503, {}), access, NOW, kept)).kind).toBe('retryable');
      expect((await processPageResponse(RampResponse.of(302, '', { location: 'https://evil.example/' }), access, NOW, kept)).kind).toBe('failed');
    });

    it('a transfer cut midway throws (the client retries it as a network failure), as does the sink failing', async () => {
      const body = new ResponseBody();
      body.push(Buffer.from('{"data":[{"id":"s1","statement_lines":[{"id":"l1"},'));
      body.end(new Error('socket hang up'));
      await expect(processPageResponse(new RampResponse(200, {}, body), access, NOW, kept)).rejects.toThrow('socket hang up');
      const failing = { ...kept, sink: { write: async () => Promise.reject(new Error('disk full')) } };
      await expect(processPageResponse(json(200, { data: [statement] }), access, NOW, failing)).rejects.toBeInstanceOf(PartSinkError);
    });
  });

  it('classifies error answers: retryable, unauthorized, failed', async () => {
    expect(await processPageResponse(json(429, {}, { 'retry-after': '3' }), access, NOW)).toMatchObject({ kind: 'retryable', status: 429, retryAfterMs: 3000, error: { code: 'ramp_rate_limited', headers: { 'retry-after': '3' } } });
    expect(await processPageResponse(json(503, {}), access, NOW)).toMatchObject({ kind: 'retryable', error: { code: 'ramp_unavailable' } });
    expect(await processPageResponse(json(504, {}), access, NOW)).toMatchObject({ kind: 'retryable', error: { code: 'ramp_timeout' } });
    const expired = { error_v2: { error_code: 'DEVELOPER_7028', message: 'Access token expired' } };
    expect(await processPageResponse(json(401, expired), access, NOW)).toMatchObject({ kind: 'unauthorized', error: { code: 'reauthorization_required' } });
    expect(await processPageResponse(json(404, { error_v2: { error_code: 'DEVELOPER_7002', message: 'no token' } }), access, NOW)).toMatchObject({ kind: 'unauthorized' });
    const scope = await processPageResponse(json(403, MISSING_SCOPE_403), access, NOW);
    expect(scope).toMatchObject({ kind: 'failed', error: { code: 'ramp_error', status: 502 } });
    expect(scope.kind === 'failed' && scope.error.detail).toBe('Ramp answered 403 DEVELOPER_7100: These scopes are not allowed for this token: accounting:write');
    const invalid = await processPageResponse(json(422, VALIDATION_422, { 'x-trace-id': 'abc123' }), access, NOW);
    expect(invalid.kind === 'failed' && invalid.error.detail).toBe('Ramp answered 422 DEVELOPER_7001: Value must be between 2 and 100 (x-trace-id abc123)');
    const html = await processPageResponse(RampResponse.of(404, '<!doctype html><title>404 Not Found</title>'), access, NOW);
    expect(html).toMatchObject({ kind: 'failed', error: { code: 'ramp_error', detail: 'Ramp answered 404' } });
  });

  it('never puts a token into an error', async () => {
    const leaky = { error_v2: { error_code: 'X', message: `Token ${TOKEN} is bad; Bearer ${TOKEN}` } };
    const outcome = await processPageResponse(json(400, leaky), access, NOW);
    expect(outcome.kind === 'failed' && outcome.error.detail).not.toContain(TOKEN);
    expect(scrubText(`ramp_tok_x1 and ramp_sec_y2 and Bearer abc and ${'A'.repeat(50)}`)).toBe('[REDACTED] and [REDACTED] and [REDACTED] and [REDACTED]');
    expect(readRampError(400, JSON.stringify({ error: 'invalid_client', error_description: `bad ${TOKEN}` }), null, [TOKEN]).message).toBe('bad [REDACTED]');
    expect(apiErrorForRampAnswer({ status: 500, rampCode: null, message: null, traceId: null, missingScope: null }).code).toBe('ramp_unavailable');
  });
});

describe('Ramp errors keep their fields', () => {
  it('a 403 DEVELOPER_7100 becomes an error that carries status, Ramp code and the missing scope', async () => {
    const body = { error_v2: { error_code: 'DEVELOPER_7100', message: 'These scopes are not allowed for this token: bills:read', additional_info: {} } };
    const outcome = await processPageResponse(json(403, body), access, NOW);
    expect(outcome.kind).toBe('failed');
    const error = outcome.kind === 'failed' ? outcome.error : undefined;
    expect(error).toBeInstanceOf(RampAnswerError);
    const ramp = (error as RampAnswerError).ramp;
    expect({ status: ramp.status, rampCode: ramp.rampCode, missingScope: ramp.missingScope }).toEqual({ status: 403, rampCode: 'DEVELOPER_7100', missingScope: 'bills:read' });
    expect((error as RampAnswerError).isMissingScope).toBe(true);
  });

  it('a 400 whose message merely mentions 403 or a scope is not a missing scope', async () => {
    const body = { error_v2: { error_code: 'DEVELOPER_7001', message: 'Field 403 is invalid; scope of the filter too wide' } };
    const outcome = await processPageResponse(json(400, body), access, NOW);
    const error = outcome.kind === 'failed' ? (outcome.error as RampAnswerError) : undefined;
    expect(error?.code).toBe('ramp_error');
    expect(error?.ramp.missingScope).toBeNull();
    expect(error?.isMissingScope).toBe(false);
  });
});

describe('business', () => {
  it('reads the business object', async () => {
    expect(await processBusinessResponse(json(200, { id: 'b1', business_name_legal: 'X' }), access, NOW)).toEqual({ kind: 'ok', value: { id: 'b1', business_name_legal: 'X' } });
    expect((await processBusinessResponse(json(200, { name: 'no id' }), access, NOW)).kind).toBe('failed');
  });
});

describe('isUnderApiBase', () => {
  it('accepts only the base origin under its /developer/v1/ prefix', () => {
    const base = 'http://127.0.0.1:8081/sandbox';
    expect(isUnderApiBase('http://127.0.0.1:8081/sandbox/developer/v1/cards?start=x', base)).toBe(true);
    expect(isUnderApiBase('http://127.0.0.1:8081/developer/v1/cards', base)).toBe(false);
    expect(isUnderApiBase('http://127.0.0.1:8081/sandbox/developer/v1/../../x', base)).toBe(false);
    expect(isUnderApiBase('http://127.0.0.1:8081/sandbox/developer/v1/%2e%2e/x', base)).toBe(false);
    expect(isUnderApiBase('not a url', base)).toBe(false);
  });
});
