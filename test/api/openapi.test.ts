/**
 * `/openapi.json` as generators and linters read it: Redocly's recommended ruleset finds no error,
 * swagger-parser validates it, and every operation carries the product's naming (tag, summary,
 * FastAPI-style operationId; the product's seed page is the reference), with the proxy's path
 * parameter named. Served by a full server (every feature's routes).
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS, PROXY_PATH, fastApiOperationId } from '../../src/http/openapi-operations.ts';
import { request } from '../helpers/http.ts';
import { createTenant } from '../helpers/tenants.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  parameters?: { name: string; in: string }[];
  responses?: Record<string, any>;
}
interface Document {
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation & Record<string, any>>>;
  components: { schemas: Record<string, any> };
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

function operations(doc: Document): { method: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).filter(([m]) => METHODS.has(m)).map(([method, op]) => ({ method, path, op })));
}

describe('OpenAPI document', () => {
  let t: TestServer;
  let source: string;
  let doc: Document;
  beforeAll(async () => {
    t = await startTestServer({ dialect: 'sqlite' });
    source = await (await fetch(`${t.url}/openapi.json`)).text();
    doc = JSON.parse(source) as Document;
  });
  afterAll(async () => t?.close());

  it("passes Redocly's recommended ruleset with no error", async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source, absoluteRef: 'openapi.json', config });
    const errors = problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(errors).toEqual([]);
  });

  it('validates with swagger-parser', async () => {
    await expect(SwaggerParser.validate(JSON.parse(source) as never)).resolves.toBeTruthy();
  });

  it("names the product's reference operation exactly as the product does", () => {
    const op = doc.paths['/api/v1/ramp/connect-with-credentials']!.post!;
    expect(op.operationId).toBe('connect_with_credentials_api_v1_ramp_connect_with_credentials_post');
    expect(op.tags).toEqual(['ramp']);
    expect(op.summary).toBe('Connect Ramp with your own API credentials');
  });

  it("builds ids like FastAPI's generate_unique_id (non-word characters of name + path → _, then _method)", () => {
    expect(fastApiOperationId('connect_with_credentials', '/api/v1/ramp/connect-with-credentials', 'POST')).toBe('connect_with_credentials_api_v1_ramp_connect_with_credentials_post');
    expect(fastApiOperationId('revoke_token', '/api/v1/tokens/{token_id}', 'delete')).toBe('revoke_token_api_v1_tokens__token_id__delete');
  });

  it('gives every operation a tag, a summary and a unique FastAPI-style operationId from the one table', () => {
    const all = operations(doc);
    expect(all.length).toBeGreaterThan(30);
    const missing = all.filter(({ method, path }) => !OPERATIONS[`${method.toUpperCase()} ${path}`]).map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(missing, 'routes missing from src/http/openapi-operations.ts').toEqual([]);
    for (const { method, path, op } of all) {
      const naming = OPERATIONS[`${method.toUpperCase()} ${path}`]!;
      expect(op.operationId, `${method} ${path}`).toBe(fastApiOperationId(naming.name, path, method));
      expect(op.operationId).toMatch(/^[a-z][a-z0-9_]*_(get|put|post|delete|patch|head)$/);
      expect(op.tags).toEqual([naming.tag]);
      expect(op.summary?.length ?? 0, `${method} ${path} summary`).toBeGreaterThan(0);
    }
    const ids = all.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("names the product's components as its document does (seed 000: RampApiCredentialsRequest, HTTPValidationError, ValidationError)", () => {
    const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
    const json = (content: any) => content?.content?.['application/json']?.schema;
    const connect = doc.paths['/api/v1/ramp/connect-with-credentials']!.post!;
    expect(json(connect.requestBody)).toEqual(ref('RampApiCredentialsRequest'));
    expect(json(connect.responses!['422'])).toEqual(ref('HTTPValidationError'));
    const schemas = doc.components.schemas;
    const credentials = schemas.RampApiCredentialsRequest;
    expect(credentials.required).toEqual(['client_id', 'client_secret']);
    expect(credentials.properties.client_id).toMatchObject({ type: 'string', description: 'Ramp Developer App Client ID' });
    expect(credentials.properties.client_secret).toMatchObject({ type: 'string', description: 'Ramp Developer App Client Secret' });
    // FastAPI's HTTPValidationError: `detail` is declared optional; each ValidationError requires loc, msg, type.
    expect(schemas.HTTPValidationError).toEqual({ type: 'object', properties: { detail: { type: 'array', items: ref('ValidationError') } } });
    expect(schemas.ValidationError.required).toEqual(['loc', 'msg', 'type']);
    expect(Object.keys(schemas.ValidationError.properties)).toEqual(['loc', 'msg', 'type', 'input', 'ctx']);
    expect(schemas.ValidationError.properties.loc.items).toEqual({ anyOf: [{ type: 'string' }, { type: 'integer' }] });
    // The other models the product's reference names.
    expect(json(doc.paths['/api/v1/ramp/sync-config']!.put!.requestBody)).toEqual(ref('RampSyncConfigUpdate'));
    expect(json(doc.paths['/api/v1/ramp/accounting/mark-synced']!.post!.requestBody)).toEqual(ref('RampMarkSyncedRequest'));
    expect(json(doc.paths['/api/v1/businesses']!.post!.responses!['201'])).toEqual(ref('SuccessEnvelope_BusinessResponse_'));
    expect(schemas.SuccessEnvelope_BusinessResponse_.properties.data).toEqual(ref('BusinessResponse'));
    // Every 422 is the one component, and no TypeBox `$id` (or the hoisting mark) is left in the document.
    for (const { method, path, op } of operations(doc)) {
      if (op.responses?.['422']) expect(json(op.responses['422']), `${method} ${path}`).toEqual(ref('HTTPValidationError'));
    }
    expect(source).not.toMatch(/"\$id"|x-ramp-connect-component/);
  });

  it('declares the 404 every route that needs a connection answers for a business without one', async () => {
    const owner = await createTenant(t.server.ctx.db, 'owner');
    const chart = { gl_accounts: [], vendors: [], custom_fields: [] };
    const calls: { method: string; path: string; url: string; json?: unknown }[] = [
      { method: 'get', path: PROXY_PATH, url: '/api/v1/ramp/proxy/transactions' },
      { method: 'post', path: PROXY_PATH, url: '/api/v1/ramp/proxy/accounting/accounts', json: {} },
      { method: 'put', path: '/api/v1/ramp/accounting/chart', url: '/api/v1/ramp/accounting/chart', json: chart },
      { method: 'get', path: '/api/v1/ramp/accounting/chart', url: '/api/v1/ramp/accounting/chart' },
      { method: 'post', path: '/api/v1/ramp/accounting/chart/backups', url: '/api/v1/ramp/accounting/chart/backups' },
      { method: 'post', path: '/api/v1/ramp/accounting/migrations', url: '/api/v1/ramp/accounting/migrations', json: { remote_provider_name: 'Ledgerly' } },
      { method: 'post', path: '/api/v1/ramp/accounting/mark-synced', url: '/api/v1/ramp/accounting/mark-synced', json: { sync_type: 'TRANSACTION_SYNC', object_ids: ['00000000-0000-4000-8000-000000000000'] } },
      { method: 'delete', path: '/api/v1/ramp/connection', url: '/api/v1/ramp/connection' },
      { method: 'post', path: '/api/v1/ramp/sync', url: '/api/v1/ramp/sync' },
    ];
    const undeclared: string[] = [];
    for (const call of calls) {
      const res = await request(`${t.url}${call.url}`, { method: call.method.toUpperCase(), headers: owner.headers, ...(call.json === undefined ? {} : { json: call.json }) });
      expect(res.status, `${call.method} ${call.url}: ${res.text}`).toBe(404);
      expect(res.body.code).toBe('ramp_not_connected');
      if (!doc.paths[call.path]![call.method]!.responses!['404']) undeclared.push(`${call.method.toUpperCase()} ${call.path}`);
    }
    expect(undeclared).toEqual([]);
  });

  it("names the proxy's path parameter and declares it; sets servers", () => {
    expect(Object.keys(doc.paths).filter((p) => p.includes('*'))).toEqual([]);
    const item = doc.paths[PROXY_PATH]!;
    for (const method of ['get', 'head', 'post', 'put', 'patch', 'delete']) {
      expect(item[method]!.parameters).toContainEqual(expect.objectContaining({ in: 'path', name: 'path', required: true }));
    }
    expect(doc.servers).toEqual([{ url: t.url }]);
  });
});
