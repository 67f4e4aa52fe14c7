/**
 * src/connections in-process, through its real collaborators (a fresh database per dialect, the vault,
 * the emulator on loopback, the OAuth client), with a clock we move: the store's fencing, leases and
 * claims field by field, the refresh policy's exact instants, pending authorizations and their browser
 * binding, return_to, the connection view, the sync configuration, and ConnectService's connect,
 * redirect, disconnect and revocation retries with the audit rows and events each writes. Written to
 * kill the mutants `npm run mutate -- connections` left alive (the route tests start a server per file,
 * which a mutant run can afford only for a few of them).
 */
import { audit } from '../../src/audit/audit-log.ts';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { Logger } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectService, credentialFailureCode, launchUrl, redirectUri, REVOKE_GIVE_UP_MS, REVOKE_RETRY_MIN_MS, type Disconnected } from '../../src/connections/connect-service.ts';
import type { ConnectionHooks, ConnectServices, WebhookStatus } from '../../src/connections/connect-services.ts';
import { newReplicaId } from '../../src/connections/connection-lease.ts';
import { claimDueRefreshes, ConnectionStore } from '../../src/connections/connection-store.ts';
import { ConnectionView, RampWebhookView, toConnectionView } from '../../src/connections/connection-view.ts';
import { LastSync, SkippedResource } from '../../src/connections/last-sync-view.ts';
import {
  bindPendingAuthorization,
  consumePendingAuthorization,
  createPendingAuthorization,
  deleteExpiredAuthorizations,
  hashState,
  newBrowserSecret,
  STATE_TTL_MS,
} from '../../src/connections/oauth-state.ts';
import { freshUntil, isFresh, MIN_VALIDITY_MS, nextRefreshAt } from '../../src/connections/refresh-policy.ts';
import { isAllowedReturnTo, withOutcome } from '../../src/connections/return-to.ts';
import { DEFAULT_SYNC_CONFIG, getSyncConfig, SyncConfigUpdate, SyncConfigView, updateSyncConfig } from '../../src/connections/sync-config.ts';
import { validateAgainstSchema } from '../../src/http/validation/pydantic-validator.ts';
import { scopeOfResource, scopesForSyncConfig, syncedResourceScopes } from '../../src/connections/sync-scopes.ts';
import type { Kysely } from 'kysely';
import type { Database, RampConnectionsTable } from '../../src/db/schema.ts';
import { RampOAuthClient } from '../../src/oauth/ramp-oauth-client.ts';
import type { TokenResult, TokenSet } from '../../src/oauth/token-endpoint.ts';
import { RAMP_RESOURCES } from '../../src/ramp/resource-descriptors.ts';
import { parseKeyRing, staticKeyRing } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { createTenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { createHarness, type Harness } from '../helpers/token-harness.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const REVOKE_PATH = '/sandbox/developer/v1/token/revoke';
const tokens = (over: Partial<TokenSet> = {}): TokenSet => ({ accessToken: 'at-1', refreshToken: 'rt-1', expiresInS: 3600, scope: undefined, ...over });
/** A key ring that lacks the test key: rows sealed under it are "unknown key", a rollout in progress. */
const OTHER_KEYS = `other:${Buffer.alloc(32, 9).toString('base64')}`;

/** Resolves once another session of `client`'s database waits for a lock (a state, not a duration: 60 s is only the give-up). */
async function waitForLockWaiter(client: pg.Client): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 10))) {
    const { rows } = await client.query<{ n: string }>(
      "select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()",
    );
    if (Number(rows[0]!.n) > 0) return;
  }
  throw new Error('no session started waiting for the lock');
}

describe('refresh policy (pure)', () => {
  it('freshUntil: 5 minutes before expiry for long tokens, a fifth of the lifetime for short ones, never before issue', () => {
    expect(freshUntil(0, HOUR)).toBe(HOUR - MIN_VALIDITY_MS);
    expect(MIN_VALIDITY_MS).toBe(5 * MINUTE);
    expect(freshUntil(null, HOUR)).toBe(HOUR - MIN_VALIDITY_MS);
    expect(freshUntil(1_000, 121_000)).toBe(121_000 - 24_000);
    // exactly 25 minutes: a fifth is 5 minutes
    expect(freshUntil(0, 25 * MINUTE)).toBe(20 * MINUTE);
    expect(freshUntil(0, 26 * MINUTE)).toBe(21 * MINUTE);
    expect(freshUntil(0, 24 * MINUTE)).toBe(24 * MINUTE - Math.round(24 * MINUTE * 0.2));
    // rounding of a fifth: 7 ms lifetime → 1 ms (1.4 rounds to 1), 8 ms → 2 (1.6 rounds to 2)
    expect(freshUntil(0, 7)).toBe(6);
    expect(freshUntil(0, 8)).toBe(6);
    // an expiry before issue (clock skew): no negative margin
    expect(freshUntil(10_000, 5_000)).toBe(5_000);
    expect(freshUntil(0, null)).toBe(Number.NEGATIVE_INFINITY);
    expect(freshUntil(null, null)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('isFresh is inclusive at freshUntil', () => {
    expect(isFresh(0, HOUR, HOUR - MIN_VALIDITY_MS)).toBe(true);
    expect(isFresh(0, HOUR, HOUR - MIN_VALIDITY_MS + 1)).toBe(false);
    expect(isFresh(0, null, 0)).toBe(false);
  });

  it('nextRefreshAt: 80% of the lifetime, at least 10 minutes before expiry, never before half-life', () => {
    expect(nextRefreshAt(0, HOUR)).toBe(HOUR - 12 * MINUTE);
    expect(nextRefreshAt(0, 30 * MINUTE)).toBe(20 * MINUTE);
    expect(nextRefreshAt(0, 10 * 24 * HOUR)).toBe(8 * 24 * HOUR);
    expect(nextRefreshAt(0, 120_000)).toBe(60_000);
    expect(nextRefreshAt(1_000, 1_000 + 15 * MINUTE)).toBe(1_000 + 7.5 * MINUTE);
    // rounding: lifetime 3 ms → half is 1.5 → 2
    expect(nextRefreshAt(0, 3)).toBe(1);
    // 50 minutes + 3 ms: a fifth 10 min + 0.6 ms rounds up to 10 min + 1 ms
    expect(nextRefreshAt(0, 50 * MINUTE + 3)).toBe(40 * MINUTE + 2);
  });
});

describe('return_to (pure)', () => {
  const allow = ['https://app.example/', 'https://app.example/settings/', 'http://localhost:3000/ui/'];
  it('accepts an http(s) URL under a prefix (same origin, path prefix)', () => {
    expect(isAllowedReturnTo('https://app.example/', allow)).toBe(true);
    expect(isAllowedReturnTo('https://app.example/settings/ramp?x=1#y', allow)).toBe(true);
    expect(isAllowedReturnTo('http://localhost:3000/ui/x', allow)).toBe(true);
    expect(isAllowedReturnTo(`https://app.example/${'a'.repeat(2048 - 'https://app.example/'.length)}`, allow)).toBe(true);
  });
  it('refuses other origins, paths, protocols, credentials, odd characters and overlong URLs', () => {
    for (const bad of [
      'https://evil.example/',
      'https://app.example.evil/',
      'http://app.example/',
      'https://app.example:444/',
      'http://localhost:3000/other',
      'http://localhost:3000/uix',
      'ftp://app.example/',
      'javascript:alert(1)',
      'https://user@app.example/',
      'https://:pw@app.example/',
      'https://u:pw@app.example/',
      'https://app.example/a\\b',
      'https://app.example/a b',
      'https://app.example/\tx',
      'https://app.example/\nx',
      'https://app.example/\u0000',
      'https://app.example/\u001f',
      'https://app.example/\u007f',
      'https://app.example/x\u0085'.slice(0, -1) + '\u000b',
      '/relative',
      'not a url',
      '',
      `https://app.example/${'a'.repeat(2049 - 'https://app.example/'.length)}`,
    ]) {
      expect(isAllowedReturnTo(bad, allow), JSON.stringify(bad)).toBe(false);
    }
    expect(isAllowedReturnTo('https://app.example/', [])).toBe(false);
  });
  it('withOutcome appends the outcome and keeps the rest', () => {
    expect(withOutcome('https://app.example/x?a=1#h', { ramp: 'error', reason: 'a b' })).toBe('https://app.example/x?a=1&ramp=error&reason=a+b#h');
    expect(withOutcome('https://app.example/x?ramp=old', { ramp: 'connected' })).toBe('https://app.example/x?ramp=connected');
  });
});

describe('sync scopes (pure)', () => {
  it('reference resources always, each flagged resource when its flag is true, distinct scopes in reading order', () => {
    const none = Object.fromEntries(Object.entries(DEFAULT_SYNC_CONFIG).map(([k, v]) => [k, typeof v === 'boolean' && k.startsWith('sync_') && k !== 'sync_enabled' ? false : v])) as typeof DEFAULT_SYNC_CONFIG;
    const reference = RAMP_RESOURCES.filter((d) => d.syncConfigFlag === null);
    expect(syncedResourceScopes(none)).toEqual(reference.map((d) => ({ resource: d.resource, scope: d.scope })));
    const withTx = { ...none, sync_transactions: true };
    const txResources = RAMP_RESOURCES.filter((d) => d.syncConfigFlag === null || d.syncConfigFlag === 'sync_transactions');
    expect(syncedResourceScopes(withTx)).toEqual(txResources.map((d) => ({ resource: d.resource, scope: d.scope })));
    expect(scopesForSyncConfig(withTx)).toEqual([...new Set(txResources.map((d) => d.scope))]);
    const first = RAMP_RESOURCES[0]!;
    expect(scopeOfResource(first.resource)).toBe(first.scope);
    expect(scopeOfResource('no-such-resource')).toBeNull();
  });
});

describe('connection view (pure)', () => {
  const summary = { transaction_count: 7, last_sync_at: '2026-01-01T00:00:00.000Z', last_sync: null };
  it('no row: disconnected with the sync summary', () => {
    expect(toConnectionView(undefined, summary)).toEqual({
      status: 'disconnected', connection_id: null, auth_method: null, environment: null, client_id: null, scopes: [], access_token_expires_at: null,
      last_refreshed_at: null, last_sync_at: summary.last_sync_at, last_sync: null, transaction_count: 7, last_error: null, status_reason: null, connected_at: null,
      accounting_connection: null, webhook: null,
    });
  });
  it('a row: its fields, ISO times (null stays null), scopes split without empties, no secret', () => {
    const row = { id: 'c1', status: 'needs_reauth', auth_method: 'oauth', environment: 'sandbox', client_id: 'cid', scopes: ' a  b ', access_token_expires_at: 0, last_refreshed_at: null, last_error: 'e', status_reason: 'r', created_at: 86_400_000, access_token: new Uint8Array([1]) } as unknown as RampConnectionsTable;
    expect(toConnectionView(row, summary)).toEqual({
      status: 'needs_reauth', connection_id: 'c1', auth_method: 'oauth', environment: 'sandbox', client_id: 'cid', scopes: ['a', 'b'], access_token_expires_at: '1970-01-01T00:00:00.000Z',
      last_refreshed_at: null, last_sync_at: summary.last_sync_at, last_sync: null, transaction_count: 7, last_error: 'e', status_reason: 'r', connected_at: '1970-01-02T00:00:00.000Z',
      accounting_connection: null, webhook: null,
    });
    expect(toConnectionView({ ...row, last_refreshed_at: undefined } as unknown as RampConnectionsTable, summary).last_refreshed_at).toBeNull();
  });
});

describe('wire schemas (validated as the routes validate them)', () => {
  const problems = (schema: object, input: unknown) => validateAgainstSchema(schema as Record<string, unknown>, input, ['body']).issues.map((i) => `${i.loc.join('.')}:${i.type}`);

  it('a sync configuration update: every field optional, the interval 1–168 whole hours, ids 1–64 characters, at most 1000', () => {
    expect(problems(SyncConfigUpdate, {})).toEqual([]);
    expect(problems(SyncConfigUpdate, { auto_sync_interval_hours: 1 })).toEqual([]);
    expect(problems(SyncConfigUpdate, { auto_sync_interval_hours: 168 })).toEqual([]);
    expect(problems(SyncConfigUpdate, { auto_sync_interval_hours: 0 })).toEqual(['body.auto_sync_interval_hours:greater_than_equal']);
    expect(problems(SyncConfigUpdate, { auto_sync_interval_hours: 169 })).toEqual(['body.auto_sync_interval_hours:less_than_equal']);
    expect(problems(SyncConfigUpdate, { auto_sync_interval_hours: 1.5 })).toEqual(['body.auto_sync_interval_hours:int_from_float']);
    for (const field of ['sync_card_ids', 'sync_user_ids', 'sync_department_ids']) {
      expect(problems(SyncConfigUpdate, { [field]: null })).toEqual([]);
      expect(problems(SyncConfigUpdate, { [field]: ['a', 'x'.repeat(64)] })).toEqual([]);
      expect(problems(SyncConfigUpdate, { [field]: [''] })).toEqual([`body.${field}.0:string_too_short`]);
      expect(problems(SyncConfigUpdate, { [field]: ['x'.repeat(65)] })).toEqual([`body.${field}.0:string_too_long`]);
      expect(problems(SyncConfigUpdate, { [field]: Array.from({ length: 1000 }, (_, i) => `c${i}`) })).toEqual([]);
      expect(problems(SyncConfigUpdate, { [field]: Array.from({ length: 1001 }, (_, i) => `c${i}`) })).toContain(`body.${field}:too_long`);
    }
    for (const field of ['sync_enabled', 'auto_sync_enabled', 'sync_transactions', 'sync_reimbursements', 'sync_bills', 'sync_transfers', 'sync_cashbacks', 'sync_bill_payments', 'sync_statements']) {
      expect(problems(SyncConfigUpdate, { [field]: 'maybe' }), field).toEqual([`body.${field}:bool_parsing`]);
    }
    for (const field of ['sync_from_date', 'sync_to_date']) {
      expect(problems(SyncConfigUpdate, { [field]: null })).toEqual([]);
      expect(problems(SyncConfigUpdate, { [field]: '2026-01-01T00:00:00Z' })).toEqual([]);
      expect(problems(SyncConfigUpdate, { [field]: 5 }).length, field).toBeGreaterThan(0);
    }
  });

  it('the stored configuration view requires every field', () => {
    expect(problems(SyncConfigView, DEFAULT_SYNC_CONFIG)).toEqual([]);
    for (const field of Object.keys(DEFAULT_SYNC_CONFIG)) {
      const { [field]: _dropped, ...rest } = DEFAULT_SYNC_CONFIG as Record<string, unknown>;
      expect(problems(SyncConfigView, rest), field).toEqual([`body.${field}:missing`]);
    }
  });

  it('the connection view: every field required, status one of four, the nullable ones nullable', () => {
    const view = toConnectionView(undefined, { transaction_count: 0, last_sync_at: null, last_sync: null });
    expect(problems(ConnectionView, view)).toEqual([]);
    for (const status of ['connected', 'needs_reauth', 'revoke_pending', 'disconnected']) expect(problems(ConnectionView, { ...view, status })).toEqual([]);
    expect(problems(ConnectionView, { ...view, status: 'other' }).length).toBeGreaterThan(0);
    for (const auth_method of ['oauth', 'client_credentials']) expect(problems(ConnectionView, { ...view, auth_method })).toEqual([]);
    expect(problems(ConnectionView, { ...view, auth_method: 'other' }).length).toBeGreaterThan(0);
    for (const environment of ['sandbox', 'production']) expect(problems(ConnectionView, { ...view, environment })).toEqual([]);
    expect(problems(ConnectionView, { ...view, environment: 'other' }).length).toBeGreaterThan(0);
    for (const field of Object.keys(view)) {
      const { [field]: _dropped, ...rest } = view as Record<string, unknown>;
      expect(problems(ConnectionView, rest), field).toEqual([`body.${field}:missing`]);
    }
    for (const field of ['connection_id', 'client_id', 'access_token_expires_at', 'last_refreshed_at', 'last_sync_at', 'last_error', 'status_reason', 'connected_at']) {
      expect(problems(ConnectionView, { ...view, [field]: 5 }).length, field).toBeGreaterThan(0);
    }
    expect(problems(ConnectionView, { ...view, scopes: [5] }).length).toBeGreaterThan(0);
    expect(problems(ConnectionView, { ...view, transaction_count: 1.5 }).length).toBeGreaterThan(0);
  });

  it('the last sync and a skipped resource: their fields, statuses and reasons', () => {
    const skipped = { resource: 'bills', reason: 'missing_scope', missing_scope: 'bills:read', detail: '403' };
    expect(problems(SkippedResource, skipped)).toEqual([]);
    expect(problems(SkippedResource, { ...skipped, reason: 'ramp_error', missing_scope: null })).toEqual([]);
    expect(problems(SkippedResource, { ...skipped, reason: 'other' }).length).toBeGreaterThan(0);
    for (const field of Object.keys(skipped)) {
      const { [field]: _dropped, ...rest } = skipped as Record<string, unknown>;
      expect(problems(SkippedResource, rest), field).toEqual([`body.${field}:missing`]);
    }
    const last = { id: '8f14e45f-ceea-467f-a8f2-5d9a0b6b4a1c', status: 'partial', finished_at: '2026-01-01T00:00:00Z', skipped: [skipped], error: null };
    expect(problems(LastSync, last)).toEqual([]);
    for (const status of ['completed', 'failed']) expect(problems(LastSync, { ...last, status })).toEqual([]);
    expect(problems(LastSync, { ...last, status: 'running' }).length).toBeGreaterThan(0);
    expect(problems(LastSync, { ...last, skipped: [{ ...skipped, reason: 'x' }] }).length).toBeGreaterThan(0);
    for (const field of Object.keys(last)) {
      const { [field]: _dropped, ...rest } = last as Record<string, unknown>;
      expect(problems(LastSync, rest), field).toEqual([`body.${field}:missing`]);
    }
  });

  it('times are ISO date-times and a sync id a UUID: any other string is refused, as the published formats say; every accounting kind and webhook status is accepted', () => {
    const notATime = 'next tuesday';
    for (const field of ['sync_from_date', 'sync_to_date']) {
      expect(problems(SyncConfigUpdate, { [field]: notATime }), field).toEqual([expect.stringMatching(new RegExp(`^body\\.${field}:datetime_`))]);
      expect(problems(SyncConfigView, { ...DEFAULT_SYNC_CONFIG, [field]: notATime }), field).toEqual([expect.stringMatching(new RegExp(`^body\\.${field}:datetime_`))]);
    }
    const view = toConnectionView(undefined, { transaction_count: 0, last_sync_at: null, last_sync: null });
    for (const field of ['access_token_expires_at', 'last_refreshed_at', 'last_sync_at', 'connected_at']) {
      expect(problems(ConnectionView, { ...view, [field]: '2026-01-01T00:00:00Z' }), field).toEqual([]);
      expect(problems(ConnectionView, { ...view, [field]: notATime }), field).toEqual([expect.stringMatching(new RegExp(`^body\\.${field}:datetime_`))]);
    }
    const seen = { connection_id: 'a', remote_provider_name: null, kind: 'api', checked_at: '2026-01-01T00:00:00Z' };
    expect(problems(ConnectionView, { ...view, accounting_connection: seen })).toEqual([]);
    expect(problems(ConnectionView, { ...view, accounting_connection: { ...seen, checked_at: notATime } })).toEqual([expect.stringMatching(/^body\.accounting_connection\.checked_at:datetime_/)]);
    for (const kind of ['api', 'direct', 'unknown']) expect(problems(ConnectionView, { ...view, accounting_connection: { ...seen, kind } }), kind).toEqual([]);
    expect(problems(ConnectionView, { ...view, accounting_connection: { ...seen, kind: '' } }).length).toBeGreaterThan(0);
    const webhook = { status: 'active', reason: null, event_types: [], last_event_at: '2026-01-01T00:00:00Z' };
    expect(problems(ConnectionView, { ...view, webhook })).toEqual([]);
    for (const status of ['creating', 'pending', 'active', 'disabled', 'polling_only', 'failed']) expect(problems(ConnectionView, { ...view, webhook: { ...webhook, status } }), status).toEqual([]);
    expect(problems(ConnectionView, { ...view, webhook: { ...webhook, status: '' } }).length).toBeGreaterThan(0);
    expect(problems(ConnectionView, { ...view, webhook: { ...webhook, last_event_at: notATime } })).toEqual([expect.stringMatching(/^body\.webhook\.last_event_at:datetime_/)]);
    const last = { id: '8f14e45f-ceea-467f-a8f2-5d9a0b6b4a1c', status: 'completed', finished_at: '2026-01-01T00:00:00Z', skipped: [], error: null };
    expect(problems(LastSync, { ...last, finished_at: notATime })).toEqual([expect.stringMatching(/^body\.finished_at:datetime_/)]);
    expect(problems(LastSync, { ...last, id: 'sync-1' })).toEqual(['body.id:uuid_parsing']);
  });

  it('the webhook status is a component of its own name, which the typed client refers to', () => {
    expect((RampWebhookView as { $id?: string }).$id).toBe('RampWebhookSubscriptionStatus');
    const client = readFileSync(new URL('../../src/client/schema.ts', import.meta.url), 'utf8');
    expect(client).toContain('components["schemas"]["RampWebhookSubscriptionStatus"]');
  });

  it('every field documented in /openapi.json keeps a description, nullable ones included (the typed client drops those)', () => {
    const described: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${path}[${i}]`));
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'description' && typeof value === 'string' && value.trim() !== '') described.push(path);
          else walk(value, path === '' ? key : `${path}.${key}`);
        }
      }
    };
    walk({ LastSync, SkippedResource, ConnectionView }, '');
    expect(described).toEqual(
      expect.arrayContaining([
        'SkippedResource.properties.reason',
        'SkippedResource.properties.missing_scope.anyOf[0]',
        'SkippedResource.properties.detail',
        'LastSync.properties.status',
        'ConnectionView.properties.accounting_connection',
        'ConnectionView.properties.accounting_connection.anyOf[0].properties.kind',
        'ConnectionView.properties.webhook.anyOf[0]',
      ]),
    );
  });

  it('every description these schemas give is the one the committed typed client documents', () => {
    const client = readFileSync(new URL('../../src/client/schema.ts', import.meta.url), 'utf8');
    const descriptions: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'description' && typeof value === 'string') descriptions.push(value);
          // openapi-typescript drops the description of a nullable's inner branch: only /openapi.json has it.
          else if (key !== 'anyOf') walk(value);
        }
      }
    };
    for (const schema of [LastSync, SkippedResource, ConnectionView, SyncConfigView, SyncConfigUpdate]) walk(schema);
    expect(descriptions.length).toBeGreaterThanOrEqual(4);
    for (const description of descriptions) {
      expect(description.trim(), 'an empty description').not.toBe('');
      expect(client, description).toContain(`@description ${description}`);
    }
  });
});

describe('small helpers (pure)', () => {
  it('credentialFailureCode maps every Ramp refusal to what the user must fix', () => {
    const f = (code: string) => credentialFailureCode({ code, permanent: true, status: 400, description: '' } as never);
    expect(f('invalid_client')).toBe('ramp_invalid_client');
    expect(f('unauthorized_client')).toBe('ramp_unauthorized_client');
    expect(f('unsupported_grant_type')).toBe('ramp_unauthorized_client');
    expect(f('invalid_scope')).toBe('ramp_invalid_scope');
    expect(f('invalid_grant')).toBe('ramp_invalid_client');
    expect(f('invalid_request')).toBe('ramp_invalid_client');
    expect(f('access_denied')).toBe('ramp_invalid_client');
    expect(f('server_error')).toBe('ramp_unavailable');
    expect(f('timeout')).toBe('ramp_unavailable');
  });
  it('redirect and launch URLs come from PUBLIC_URL; the state is encoded', () => {
    expect(redirectUri('https://rc.example')).toBe('https://rc.example/api/v1/ramp/callback');
    expect(launchUrl('https://rc.example', 'a+b/c=')).toBe('https://rc.example/api/v1/ramp/authorize?state=a%2Bb%2Fc%3D');
  });
  it('a replica id is the pid and 8 hex characters, different each time', () => {
    const id = newReplicaId();
    expect(id).toMatch(new RegExp(`^${process.pid}-[0-9a-f]{8}$`));
    expect(newReplicaId()).not.toBe(id);
  });
  it('state hashes are SHA-256 hex of the UTF-8 text; browser secrets are 43 base64url characters', () => {
    expect(hashState('é')).toBe(createHash('sha256').update('é', 'utf8').digest('hex'));
    expect(newBrowserSecret()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newBrowserSecret()).not.toBe(newBrowserSecret());
    expect(STATE_TTL_MS).toBe(10 * MINUTE);
  });
});

for (const dialect of DIALECTS) {
  describe(`${dialect}: connections through the real database and emulator`, () => {
    let h: Harness;
    let oauth: RampOAuthClient;
    let services: ConnectServices;
    let service: ConnectService;
    let changed: string[];
    beforeAll(async () => {
      h = await createHarness(dialect);
      await h.emu.faults({ rate_limit: false });
      oauth = new RampOAuthClient({ timeoutMs: 5_000 });
      changed = [];
      h.store.onChange((id) => changed.push(id));
      services = {
        ctx: h.ctx,
        store: h.store,
        oauth,
        oauthApp: { clientId: h.emulator.defaultApp.client_id, clientSecret: h.emulator.defaultApp.client_secret },
        events: h.events,
        summary: async () => ({ transaction_count: 3, last_sync_at: null, last_sync: null }),
      };
      service = new ConnectService(services);
    });
    afterAll(async () => h?.close());
    beforeEach(async () => {
      await h.emu.faults({ reset: true });
      await h.emu.faults({ rate_limit: false });
    });

    const rowOf = async (businessId: string) => (await h.store.find(businessId))!;
    const set = (id: string, values: Partial<RampConnectionsTable>) => h.db.kysely.updateTable('ramp_connections').set(values).where('id', '=', id).execute();
    const auditRows = async (businessId: string) => h.db.kysely.selectFrom('audit_log').selectAll().where('business_id', '=', businessId).orderBy('id').execute();
    const eventsOf = (businessId: string, type: string) => h.events.events.filter((e) => e.businessId === businessId && e.type === type);
    const newBusiness = async () => (await createTenant(h.db, 'owner')).businessId;
    const storeWith = (keys: string) => new ConnectionStore(h.db, new Vault(staticKeyRing(parseKeyRing(keys))), h.ctx.now);

    describe('ConnectionStore', () => {
      it('create: every column from the input, secrets sealed, scopes from Ramp or else the request', async () => {
        const businessId = await newBusiness();
        const now = h.ctx.now();
        changed.length = 0;
        const result = await h.store.create({ businessId, environment: 'sandbox', authMethod: 'oauth', clientId: 'cid', requestedScopes: ['a', 'b'], tokens: tokens({ expiresInS: 3600 }), createdByTokenId: null, replaceConnected: false });
        expect('created' in result).toBe(true);
        const row = await rowOf(businessId);
        expect(row).toMatchObject({ business_id: businessId, environment: 'sandbox', auth_method: 'oauth', status: 'connected', status_reason: null, scopes: 'a b', client_id: 'cid', version: 0, lease_owner: null, lease_until: null, refresh_attempt_id: null, refresh_failures: 0, last_error: null, revoke_pending_since: null, next_revoke_at: null, client_secret: null, created_by_token_id: null });
        expect(row.access_token_expires_at! - row.last_refreshed_at!).toBe(3_600_000);
        expect(row.last_refreshed_at).toBeGreaterThanOrEqual(now);
        expect(row.next_refresh_at).toBe(nextRefreshAt(row.last_refreshed_at!, row.access_token_expires_at!));
        expect(row.created_at).toBe(row.last_refreshed_at);
        expect(row.updated_at).toBe(row.created_at);
        expect(h.store.open(row)).toEqual({ accessToken: 'at-1', refreshToken: 'rt-1', clientSecret: null });
        expect(changed).toEqual([businessId]);
        expect(('created' in result && result.created)).toEqual(row);

        const other = await newBusiness();
        await h.store.create({ businessId: other, environment: 'production', authMethod: 'client_credentials', clientId: 'c2', clientSecret: 'shh', requestedScopes: ['a'], tokens: tokens({ refreshToken: undefined, scope: ' x y ' }), createdByTokenId: null, replaceConnected: false });
        const second = await rowOf(other);
        expect(second).toMatchObject({ environment: 'production', auth_method: 'client_credentials', scopes: 'x y', refresh_token: null });
        expect(h.store.open(second)).toEqual({ accessToken: 'at-1', refreshToken: null, clientSecret: 'shh' });
      });

      it('create: a live row is a conflict unless replacing; needs_reauth is replaced; revoke_pending never is', async () => {
        const businessId = await newBusiness();
        const input = { businessId, environment: 'sandbox' as const, authMethod: 'oauth' as const, clientId: 'cid', requestedScopes: ['a'], tokens: tokens(), createdByTokenId: null, replaceConnected: false };
        const first = await h.store.create(input);
        const firstId = 'created' in first ? first.created.id : '';
        const conflict = await h.store.create(input);
        expect('conflict' in conflict && conflict.conflict.id).toBe(firstId);
        const replaced = await h.store.create({ ...input, replaceConnected: true, tokens: tokens({ accessToken: 'at-2' }) });
        expect('created' in replaced && replaced.created.id).not.toBe(firstId);
        expect(h.store.open(await rowOf(businessId)).accessToken).toBe('at-2');
        const current = await rowOf(businessId);
        await set(current.id, { status: 'needs_reauth' });
        const afterReauth = await h.store.create(input);
        expect('created' in afterReauth).toBe(true);
        const live = await rowOf(businessId);
        await set(live.id, { status: 'revoke_pending' });
        for (const replaceConnected of [false, true]) {
          const kept = await h.store.create({ ...input, replaceConnected });
          expect('conflict' in kept && kept.conflict.id).toBe(live.id);
        }
        expect((await h.db.kysely.selectFrom('ramp_connections').select('id').where('business_id', '=', businessId).execute()).length).toBe(1);
      });

      it('create: concurrent inserts for one business → one created, the others conflicts naming it', async () => {
        const businessId = await newBusiness();
        const input = { businessId, environment: 'sandbox' as const, authMethod: 'oauth' as const, clientId: 'cid', requestedScopes: ['a'], tokens: tokens(), createdByTokenId: null, replaceConnected: false };
        const results = await Promise.all(Array.from({ length: 6 }, () => h.store.create(input)));
        const created = results.filter((r) => 'created' in r);
        expect(created).toHaveLength(1);
        const winner = (await rowOf(businessId)).id;
        for (const r of results) expect('created' in r ? r.created.id : r.conflict.id).toBe(winner);
      });

      // The two interleavings below are PostgreSQL's (SQLite has one writer). A second session holds an
      // uncommitted write, `create` runs into it and waits; the test sees the wait in pg_stat_activity and
      // only then commits, so the statements meet in the same order on every machine.
      describe.runIf(dialect === 'postgres')('create racing another transaction (PostgreSQL)', () => {
        const withBlockingWrite = async <T>(write: (other: pg.Client) => Promise<void>, run: () => Promise<T>): Promise<T> => {
          const other = new pg.Client({ connectionString: h.databaseUrl });
          await other.connect();
          try {
            await other.query('begin');
            await write(other);
            const pending = run();
            pending.catch(() => {});
            await waitForLockWaiter(other);
            await other.query('commit');
            return await pending;
          } finally {
            await other.end();
          }
        };

        it('an insert that wins the unique index meanwhile → a conflict naming it, not an error', async () => {
          const businessId = await newBusiness();
          const template = await h.connectOAuth();
          const planted = { ...template, id: randomUUID(), business_id: businessId };
          const columns = Object.keys(planted);
          const result = await withBlockingWrite(
            (other) => other.query(`insert into ramp_connections (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(planted)).then(() => {}),
            () => h.store.create({ businessId, environment: 'sandbox', authMethod: 'oauth', clientId: 'cid', requestedScopes: ['a'], tokens: tokens(), createdByTokenId: null, replaceConnected: false }),
          );
          expect('conflict' in result && result.conflict.id).toBe(planted.id);
        });

        it('a row turned revoke_pending meanwhile is locked, re-read and kept (never replaced)', async () => {
          const businessId = await newBusiness();
          const created = await h.store.create({ businessId, environment: 'sandbox', authMethod: 'oauth', clientId: 'cid', requestedScopes: ['a'], tokens: tokens(), createdByTokenId: null, replaceConnected: false });
          const id = 'created' in created ? created.created.id : '';
          await set(id, { status: 'needs_reauth' });
          const result = await withBlockingWrite(
            (other) => other.query(`update ramp_connections set status = 'revoke_pending' where id = $1`, [id]).then(() => {}),
            () => h.store.create({ businessId, environment: 'sandbox', authMethod: 'oauth', clientId: 'cid', requestedScopes: ['a'], tokens: tokens({ accessToken: 'at-2' }), createdByTokenId: null, replaceConnected: true }),
          );
          expect('conflict' in result && result.conflict.id).toBe(id);
          const rows = await h.db.kysely.selectFrom('ramp_connections').select(['id', 'status']).where('business_id', '=', businessId).execute();
          expect(rows).toEqual([{ id, status: 'revoke_pending' }]);
        });
      });

      it('writeTokens: fenced by version; keeps the refresh token Ramp omits; takes Ramp\'s scope; resets the failure state', async () => {
        const row = await h.connectOAuth();
        await set(row.id, { refresh_failures: 3, last_error: 'x', last_error_at: 1, lease_owner: 'me', lease_until: h.ctx.now() + 1_000, refresh_attempt_id: 'a', refresh_attempt_at: 1, status_reason: 'r' });
        const leased = await rowOf(row.business_id);
        expect(await h.store.writeTokens(leased, leased.version + 1, tokens())).toBeUndefined();
        expect((await rowOf(row.business_id)).version).toBe(leased.version);
        const refreshBefore = h.store.open(leased).refreshToken;
        changed.length = 0;
        const written = await h.store.writeTokens(leased, leased.version, tokens({ accessToken: 'new-at', refreshToken: undefined, scope: undefined, expiresInS: 600 }));
        expect(changed).toEqual([row.business_id]);
        const stored = await rowOf(row.business_id);
        expect(written).toEqual(stored);
        expect(stored).toMatchObject({ version: leased.version + 1, status: 'connected', status_reason: null, refresh_attempt_id: null, refresh_attempt_at: null, refresh_failures: 0, last_error: null, last_error_at: null, lease_owner: null, lease_until: null, scopes: row.scopes });
        expect(stored.access_token_expires_at! - stored.last_refreshed_at!).toBe(600_000);
        expect(stored.next_refresh_at).toBe(nextRefreshAt(stored.last_refreshed_at!, stored.access_token_expires_at!));
        expect(stored.updated_at).toBe(stored.last_refreshed_at);
        expect(h.store.open(stored)).toMatchObject({ accessToken: 'new-at', refreshToken: refreshBefore });
        const again = await h.store.writeTokens(stored, stored.version, tokens({ refreshToken: 'rt-9', scope: 'only:this' }), { refresh_failures: 5 });
        expect(again).toMatchObject({ scopes: 'only:this', refresh_failures: 5 });
        expect(h.store.open((await rowOf(row.business_id))).refreshToken).toBe('rt-9');
      });

      it('acquireLease: free, lapsed or our own lease is taken with a new attempt id; a live foreign one or a non-connected row is not', async () => {
        const row = await h.connectOAuth();
        const now = h.ctx.now();
        const lease = (await h.store.acquireLease(row, 'me', 5_000))!;
        expect(lease.previousAttemptInterrupted).toBe(false);
        expect(lease.attemptId).toMatch(/^[0-9a-f-]{36}$/);
        expect(lease.row).toMatchObject({ lease_owner: 'me', refresh_attempt_id: lease.attemptId });
        expect(lease.row.lease_until! - lease.row.refresh_attempt_at!).toBe(5_000);
        expect(lease.row.refresh_attempt_at).toBeGreaterThanOrEqual(now);
        expect(await rowOf(row.business_id)).toEqual(lease.row);
        expect(await h.store.acquireLease(row, 'other', 5_000)).toBeUndefined();
        const mine = (await h.store.acquireLease(lease.row, 'me', 5_000))!;
        expect(mine.previousAttemptInterrupted).toBe(true);
        expect(mine.attemptId).not.toBe(lease.attemptId);
        // Lapsed exactly now: still held (lease_until < now is free); a millisecond later it is free.
        const at = h.ctx.now();
        await set(row.id, { lease_until: at + 50_000 });
        expect(await h.store.acquireLease(row, 'other', 5_000)).toBeUndefined();
        await set(row.id, { lease_until: at - 1 });
        expect((await h.store.acquireLease(row, 'other', 5_000))?.row.lease_owner).toBe('other');
        await set(row.id, { lease_until: null, lease_owner: null, status: 'needs_reauth' });
        expect(await h.store.acquireLease(row, 'me', 5_000)).toBeUndefined();
      });

      it('releaseLease: only by its owner at its version; keeps the attempt id only when asked', async () => {
        const row = await h.connectOAuth();
        const lease = (await h.store.acquireLease(row, 'me', 5_000))!;
        await h.store.releaseLease(lease, 'someone-else', { refresh_failures: 9 }, false);
        expect((await rowOf(row.business_id))).toMatchObject({ lease_owner: 'me', refresh_failures: 0 });
        await h.store.releaseLease({ ...lease, row: { ...lease.row, version: lease.row.version + 1 } }, 'me', { refresh_failures: 9 }, false);
        expect((await rowOf(row.business_id))).toMatchObject({ lease_owner: 'me', refresh_failures: 0 });
        await h.store.releaseLease(lease, 'me', { refresh_failures: 2, last_error: 'boom' }, true);
        expect(await rowOf(row.business_id)).toMatchObject({ lease_owner: null, lease_until: null, refresh_attempt_id: lease.attemptId, refresh_failures: 2, last_error: 'boom' });
        expect((await rowOf(row.business_id)).refresh_attempt_at).not.toBeNull();
        const again = (await h.store.acquireLease(await rowOf(row.business_id), 'me', 5_000))!;
        await h.store.releaseLease(again, 'me', {}, false);
        expect(await rowOf(row.business_id)).toMatchObject({ lease_owner: null, lease_until: null, refresh_attempt_id: null, refresh_attempt_at: null, refresh_failures: 2 });
      });

      it('markNeedsReauth: true once for the row at its version while connected, with every field set', async () => {
        const row = await h.connectOAuth();
        await set(row.id, { lease_owner: 'x', lease_until: h.ctx.now() + 1_000 });
        expect(await h.store.markNeedsReauth({ ...row, version: row.version + 1 }, 'r', 'm')).toBe(false);
        expect((await rowOf(row.business_id)).status).toBe('connected');
        changed.length = 0;
        expect(await h.store.markNeedsReauth(row, 'invalid_grant', 'reconnect')).toBe(true);
        expect(changed).toEqual([row.business_id]);
        const marked = await rowOf(row.business_id);
        expect(marked).toMatchObject({ status: 'needs_reauth', status_reason: 'invalid_grant', last_error: 'reconnect', lease_owner: null, lease_until: null, next_refresh_at: null });
        expect(marked.last_error_at).toBe(marked.updated_at);
        expect(marked.updated_at).toBeGreaterThanOrEqual(row.updated_at);
        expect(await h.store.markNeedsReauth(row, 'again', 'm')).toBe(false);
        expect((await rowOf(row.business_id)).status_reason).toBe('invalid_grant');
      });

      it('markNeedsReauth: what reports the transition commits with it, or the transition does not happen', async () => {
        const row = await h.connectOAuth();
        const calls: string[] = [];
        // Not marked (stale version): nothing reported.
        expect(await h.store.markNeedsReauth({ ...row, version: row.version + 1 }, 'r', 'm', async () => void calls.push('stale'))).toBe(false);
        expect(calls).toEqual([]);
        // The report fails: the status change rolls back with it, so a later attempt marks and reports it.
        await expect(h.store.markNeedsReauth(row, 'invalid_grant', 'm', async (trx) => {
          await audit(trx, { businessId: row.business_id, actorTokenId: null, action: 'probe', outcome: 'failure' });
          throw new Error('outbox down');
        })).rejects.toThrow('outbox down');
        expect((await rowOf(row.business_id)).status).toBe('connected');
        expect(await h.db.kysely.selectFrom('audit_log').select('action').where('business_id', '=', row.business_id).where('action', '=', 'probe').execute()).toEqual([]);
        expect(await h.store.markNeedsReauth(row, 'invalid_grant', 'm', async () => void calls.push('reported'))).toBe(true);
        expect(calls).toEqual(['reported']);
        expect((await rowOf(row.business_id)).status).toBe('needs_reauth');
      });

      it('revocation bookkeeping: begin (lease free only, version fenced), claim due rows once (oldest first, limited), reschedule only pending rows', async () => {
        await h.db.kysely.updateTable('ramp_connections').set({ status: 'needs_reauth' }).where('status', '=', 'revoke_pending').execute();
        const rows = [await h.connectOAuth(), await h.connectOAuth(), await h.connectOAuth(), await h.connectOAuth()];
        const now = h.ctx.now();
        // A refresh in flight holds the lease: not yet; a lapsed lease does not count.
        const lease = (await h.store.acquireLease(rows[0]!, 'other', 60_000))!;
        expect(await h.store.beginRevocation(rows[0]!, now - 10)).toBeUndefined();
        expect(await rowOf(rows[0]!.business_id)).toMatchObject({ status: 'connected', lease_owner: 'other' });
        await set(rows[0]!.id, { lease_until: now - 1 });
        const sealed = (await h.store.beginRevocation(rows[0]!, now - 10))!;
        expect(await h.store.beginRevocation(rows[0]!, now - 10)).toBeUndefined();
        await h.store.beginRevocation(rows[1]!, now - 20);
        await h.store.beginRevocation(rows[2]!, now + HOUR);
        const pending = await rowOf(rows[0]!.business_id);
        expect(sealed).toEqual(pending);
        expect(pending).toMatchObject({ status: 'revoke_pending', status_reason: 'disconnecting', next_revoke_at: now - 10, next_refresh_at: null, lease_owner: null, lease_until: null, version: rows[0]!.version + 1 });
        expect(pending.revoke_pending_since).toBe(pending.updated_at);
        expect(pending.revoke_pending_since).toBeGreaterThanOrEqual(now);
        // The refresh that held the lease comes back late: fenced out, the row stays sealed.
        expect(await h.store.writeTokens(lease.row, lease.row.version, tokens({ accessToken: 'late' }))).toBeUndefined();
        expect(await rowOf(rows[0]!.business_id)).toEqual(pending);

        expect((await h.store.claimDueRevocations(now, 1_000, 1)).map((r) => r.id)).toEqual([rows[1]!.id]);
        expect((await rowOf(rows[1]!.business_id)).next_revoke_at).toBe(now + 1_000);
        const both = await Promise.all([h.store.claimDueRevocations(now, 1_000, 5), h.store.claimDueRevocations(now, 1_000, 5)]);
        expect(both.flat().map((r) => r.id)).toEqual([rows[0]!.id]);
        expect(await h.store.claimDueRevocations(now + 999, 1_000, 5)).toEqual([]);
        expect((await h.store.claimDueRevocations(now + 1_000, 1_000, 5)).map((r) => r.id).sort()).toEqual([rows[0]!.id, rows[1]!.id].sort());

        await h.store.rescheduleRevocation(rows[0]!, 'network_error', now + 5);
        const rescheduled = await rowOf(rows[0]!.business_id);
        expect(rescheduled).toMatchObject({ next_revoke_at: now + 5, status_reason: 'network_error', last_error: 'revocation failed: network_error', status: 'revoke_pending' });
        expect(rescheduled.last_error_at).toBe(rescheduled.updated_at);
        await h.store.rescheduleRevocation(rows[3]!, 'network_error', now + 5);
        expect(await rowOf(rows[3]!.business_id)).toMatchObject({ next_revoke_at: null, status_reason: null, last_error: null, status: 'connected' });
        changed.length = 0;
        // The report fails: the delete rolls back with it.
        await expect(h.store.delete(rows[3]!, async () => { throw new Error('outbox down'); })).rejects.toThrow('outbox down');
        expect(await h.store.find(rows[3]!.business_id)).toBeDefined();
        const reports: string[] = [];
        expect(await h.store.delete(rows[3]!, async () => void reports.push('first'))).toBe(true);
        expect(await h.store.find(rows[3]!.business_id)).toBeUndefined();
        // Only the delete that took effect reports.
        expect(await h.store.delete(rows[3]!, async () => void reports.push('second'))).toBe(false);
        expect(reports).toEqual(['first']);
        expect(changed).toEqual([rows[3]!.business_id, rows[3]!.business_id]);
        await h.db.kysely.updateTable('ramp_connections').set({ status: 'needs_reauth' }).where('status', '=', 'revoke_pending').execute();
      });

      it('claimDueRefreshes: due, connected, unleased or lapsed rows, oldest first, up to the limit, leased to the claimer', async () => {
        await h.db.kysely.updateTable('ramp_connections').set({ next_refresh_at: null }).execute();
        const rows = [await h.connectOAuth(), await h.connectOAuth(), await h.connectOAuth(), await h.connectOAuth(), await h.connectOAuth()];
        const now = h.ctx.now();
        await set(rows[0]!.id, { next_refresh_at: now - 5 });
        await set(rows[1]!.id, { next_refresh_at: now });
        await set(rows[2]!.id, { next_refresh_at: now - 9, lease_owner: 'x', lease_until: now - 1 });
        await set(rows[3]!.id, { next_refresh_at: now - 9, lease_owner: 'x', lease_until: now });
        await set(rows[4]!.id, { next_refresh_at: now + 1 });
        expect(await claimDueRefreshes(h.db, 'me', { now, leaseMs: 700, limit: 1 })).toEqual([rows[2]!.business_id]);
        expect(await rowOf(rows[2]!.business_id)).toMatchObject({ lease_owner: 'me', lease_until: now + 700 });
        expect(await claimDueRefreshes(h.db, 'me', { now, leaseMs: 700, limit: 1 })).toEqual([rows[0]!.business_id]);
        expect(await claimDueRefreshes(h.db, 'me', { now, leaseMs: 700, limit: 5 })).toEqual([rows[1]!.business_id]);
        expect(await claimDueRefreshes(h.db, 'me', { now: now + 701, leaseMs: 700, limit: 5 })).toHaveLength(5);
        await set(rows[4]!.id, { next_refresh_at: now - 100, status: 'needs_reauth' });
        expect(await claimDueRefreshes(h.db, 'me', { now, leaseMs: 700, limit: 5 })).toEqual([]);
      });

      it('open: a null ciphertext is null; a store without the key says so (unknown key)', async () => {
        const row = await h.connectClientCredentials();
        expect(h.store.open(row)).toMatchObject({ refreshToken: null });
        expect(() => storeWith(OTHER_KEYS).open(row)).toThrow(expect.objectContaining({ reason: 'unknown_key' }));
        expect(h.store.vault).toBeInstanceOf(Vault);
      });
    });

    describe('pending authorizations', () => {
      const input = async () => ({ businessId: await newBusiness(), userId: 'u1', tokenId: 't1', environment: 'sandbox' as const, returnTo: 'http://127.0.0.1:1/back', scopes: ['a', 'b'], now: h.ctx.now() });

      it('created sealed, hashed, 10 minutes; bound once by a well-formed browser secret; consumed once by that browser', async () => {
        const spec = await input();
        const pending = await createPendingAuthorization(h.db, h.store.vault, spec);
        expect(pending.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(pending.expiresAt).toBe(spec.now + STATE_TTL_MS);
        const stored = (await h.db.kysely.selectFrom('oauth_states').selectAll().where('state_hash', '=', hashState(pending.state)).executeTakeFirst())!;
        expect(stored).toMatchObject({ business_id: spec.businessId, user_id: 'u1', token_id: 't1', environment: 'sandbox', return_to: spec.returnTo, scopes: 'a b', expires_at: pending.expiresAt, created_at: spec.now, browser_hash: null });
        const browser = newBrowserSecret();
        for (const [state, secret] of [[pending.state, 'short'], [pending.state.slice(1), browser], [`${pending.state}x`, browser], [pending.state.replace(/^./, '!'), browser], [pending.state, browser.replace(/^./, '.')]]) {
          expect(await bindPendingAuthorization(h.db, h.store.vault, state!, secret!, spec.now)).toBeUndefined();
        }
        const launched = (await bindPendingAuthorization(h.db, h.store.vault, pending.state, browser, spec.now))!;
        expect(launched.row).toMatchObject({ state_hash: hashState(pending.state), browser_hash: hashState(browser) });
        expect(launched.codeChallenge).toBe(pending.codeChallenge);
        expect(await bindPendingAuthorization(h.db, h.store.vault, pending.state, newBrowserSecret(), spec.now)).toBeUndefined();
        expect(await bindPendingAuthorization(h.db, h.store.vault, pending.state, browser, spec.now)).toBeUndefined();

        expect(await consumePendingAuthorization(h.db, h.store.vault, 'bad', browser, spec.now)).toEqual({ refused: 'unknown' });
        expect(await consumePendingAuthorization(h.db, h.store.vault, pending.state, undefined, spec.now)).toEqual({ refused: 'other_browser' });
        expect(await consumePendingAuthorization(h.db, h.store.vault, pending.state, 'x'.repeat(42), spec.now)).toEqual({ refused: 'other_browser' });
        expect(await consumePendingAuthorization(h.db, h.store.vault, pending.state, newBrowserSecret(), spec.now)).toEqual({ refused: 'other_browser' });
        expect(await consumePendingAuthorization(h.db, h.store.vault, pending.state, newBrowserSecret(), pending.expiresAt)).toEqual({ refused: 'unknown' });
        expect(await consumePendingAuthorization(h.db, h.store.vault, pending.state, newBrowserSecret(), pending.expiresAt - 1)).toEqual({ refused: 'other_browser' });
        const consumed = await consumePendingAuthorization(h.db, h.store.vault, pending.state, browser, spec.now);
        if ('refused' in consumed) throw new Error('refused');
        expect(createHash('sha256').update(consumed.codeVerifier, 'ascii').digest('base64url')).toBe(pending.codeChallenge);
        expect(consumed.row.business_id).toBe(spec.businessId);
        expect(await consumePendingAuthorization(h.db, h.store.vault, pending.state, browser, spec.now)).toEqual({ refused: 'unknown' });
      });

      it('expiry: not bound at or after expires_at; consumed only before it; expired rows deleted at expires_at', async () => {
        const spec = await input();
        const a = await createPendingAuthorization(h.db, h.store.vault, spec);
        const browser = newBrowserSecret();
        expect(await bindPendingAuthorization(h.db, h.store.vault, a.state, browser, a.expiresAt)).toBeUndefined();
        expect(await bindPendingAuthorization(h.db, h.store.vault, a.state, browser, a.expiresAt - 1)).toBeDefined();
        expect(await consumePendingAuthorization(h.db, h.store.vault, a.state, browser, a.expiresAt)).toEqual({ refused: 'unknown' });
        // the expired row was taken by that attempt: it is gone
        expect(await h.db.kysely.selectFrom('oauth_states').select('state_hash').where('state_hash', '=', hashState(a.state)).executeTakeFirst()).toBeUndefined();

        const b = await createPendingAuthorization(h.db, h.store.vault, spec);
        const c = await createPendingAuthorization(h.db, h.store.vault, { ...spec, now: spec.now + 1 });
        await h.db.kysely.deleteFrom('oauth_states').where('expires_at', '<', b.expiresAt).execute();
        expect(await deleteExpiredAuthorizations(h.db, b.expiresAt - 1)).toBe(0);
        expect(await deleteExpiredAuthorizations(h.db, b.expiresAt)).toBeGreaterThanOrEqual(1);
        const left = await h.db.kysely.selectFrom('oauth_states').select('state_hash').where('state_hash', 'in', [hashState(b.state), hashState(c.state)]).execute();
        expect(left.map((r) => r.state_hash)).toEqual([hashState(c.state)]);
      });
    });

    describe('sync configuration', () => {
      it('defaults until set; partial updates merge, undefined changes nothing; the next auto sync follows the flags', async () => {
        const businessId = await newBusiness();
        expect(await getSyncConfig(h.db.kysely, businessId)).toEqual(DEFAULT_SYNC_CONFIG);
        // Syncing is on and nothing is read from Ramp on a schedule until the business turns it on.
        expect(DEFAULT_SYNC_CONFIG).toMatchObject({ sync_enabled: true, auto_sync_enabled: false, auto_sync_interval_hours: 24, sync_from_date: null, sync_to_date: null });
        const now = 1_000_000;
        const first = await updateSyncConfig(h.db.kysely, businessId, { auto_sync_enabled: true, auto_sync_interval_hours: 2, sync_bills: undefined }, now);
        expect(first).toEqual({ ...DEFAULT_SYNC_CONFIG, auto_sync_enabled: true, auto_sync_interval_hours: 2 });
        const next = async () => (await h.db.kysely.selectFrom('ramp_sync_configs').selectAll().where('business_id', '=', businessId).executeTakeFirst())!;
        expect(await next()).toMatchObject({ next_auto_sync_at: now + 2 * HOUR, updated_at: now });
        expect(await getSyncConfig(h.db.kysely, businessId)).toEqual(first);
        const second = await updateSyncConfig(h.db.kysely, businessId, { sync_enabled: false }, now + 5);
        expect(second).toEqual({ ...first, sync_enabled: false });
        expect(await next()).toMatchObject({ next_auto_sync_at: null, updated_at: now + 5 });
        await updateSyncConfig(h.db.kysely, businessId, { sync_enabled: true, auto_sync_enabled: false }, now + 6);
        expect((await next()).next_auto_sync_at).toBeNull();
        expect((await h.db.kysely.selectFrom('ramp_sync_configs').select('business_id').where('business_id', '=', businessId).execute()).length).toBe(1);
      });

      it('from after to is refused (equal is fine)', async () => {
        const businessId = await newBusiness();
        await expect(updateSyncConfig(h.db.kysely, businessId, { sync_from_date: '2026-01-02T00:00:00Z', sync_to_date: '2026-01-01T00:00:00Z' }, 1)).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringContaining('sync_from_date') });
        expect(await updateSyncConfig(h.db.kysely, businessId, { sync_from_date: '2026-01-01T00:00:00Z', sync_to_date: '2026-01-01T00:00:00Z' }, 1)).toMatchObject({ sync_from_date: '2026-01-01T00:00:00Z' });
        expect(await updateSyncConfig(h.db.kysely, businessId, { sync_from_date: '2026-01-02T00:00:00Z', sync_to_date: null }, 1)).toMatchObject({ sync_to_date: null });
        expect(await updateSyncConfig(h.db.kysely, businessId, { sync_from_date: null, sync_to_date: '2020-01-01T00:00:00Z' }, 1)).toMatchObject({ sync_from_date: null });
      });
    });

    describe('ConnectService: client credentials', () => {
      const recorder = () => {
        const calls: [string, string][] = [];
        return { calls, record: async (outcome: 'success' | 'failure', detail: string) => void calls.push([outcome, detail]) };
      };

      it('connects with the scopes the sync configuration needs, records success, emits connection.created', async () => {
        const businessId = await newBusiness();
        await updateSyncConfig(h.db.kysely, businessId, { sync_bills: true }, h.ctx.now());
        const scopes = scopesForSyncConfig(await getSyncConfig(h.db.kysely, businessId));
        const app = await h.emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: scopes });
        const r = recorder();
        const row = await service.connectWithCredentials({ businessId, tokenId: 'tok', clientId: app.client_id, clientSecret: app.client_secret }, r.record);
        expect(row).toMatchObject({ business_id: businessId, environment: 'sandbox', auth_method: 'client_credentials', client_id: app.client_id, created_by_token_id: 'tok' });
        expect(row.scopes.split(' ').sort()).toEqual([...scopes].sort());
        expect(h.store.open(row).clientSecret).toBe(app.client_secret);
        expect(r.calls).toEqual([['success', 'connected (sandbox)']]);
        expect(eventsOf(businessId, 'connection.created').map((e) => e.data)).toEqual([{ connection_id: row.id, auth_method: 'client_credentials', environment: 'sandbox' }]);
        const again = recorder();
        const grants = (await h.emu.stats()).grants.client_credentials;
        await expect(service.connectWithCredentials({ businessId, tokenId: 'tok', clientId: app.client_id, clientSecret: app.client_secret }, again.record)).rejects.toMatchObject({
          code: 'resource_exists',
          existingId: row.id,
          message: 'Resource already exists',
        });
        expect(again.calls).toEqual([['failure', 'conflict: a live connection exists']]);
        // Refused before asking Ramp: no token was issued only to be given back.
        expect((await h.emu.stats()).grants.client_credentials).toBe(grants);
      });

      it('Ramp refuses: the mapped code, invalid_scope says what to enable, nothing stored', async () => {
        const businessId = await newBusiness();
        const app = await h.emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: ['business:read'] });
        const r = recorder();
        const err = await service.connectWithCredentials({ businessId, tokenId: 't', clientId: app.client_id, clientSecret: app.client_secret, scopes: ['business:read', 'bills:read'] }, r.record).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'ramp_invalid_scope' });
        const detail = (err as Error).message;
        expect(detail).toMatch(/^Your Ramp app does not allow every requested scope\. Ramp said: ".+"\. This connection asks for: business:read, bills:read\. Enable them in Ramp Dashboard/);
        expect(r.calls).toEqual([['failure', 'ramp refused: invalid_scope']]);
        const wrong = recorder();
        await expect(service.connectWithCredentials({ businessId, tokenId: 't', clientId: app.client_id, clientSecret: 'wrong', scopes: ['business:read'] }, wrong.record)).rejects.toMatchObject({ code: 'ramp_invalid_client', message: expect.not.stringContaining('Ramp app does not allow') });
        expect(wrong.calls).toEqual([['failure', 'ramp refused: invalid_client']]);
        expect(await h.store.find(businessId)).toBeUndefined();
        expect(eventsOf(businessId, 'connection.created')).toEqual([]);
      });

      it('production when asked (its own Ramp host); a needs_reauth connection is replaced', async () => {
        const businessId = await newBusiness();
        const app = await h.emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: ['business:read'], environment: 'production' });
        const r = recorder();
        const row = await service.connectWithCredentials({ businessId, tokenId: 't', clientId: app.client_id, clientSecret: app.client_secret, scopes: ['business:read'], environment: 'production' }, r.record);
        expect(row.environment).toBe('production');
        expect(r.calls).toEqual([['success', 'connected (production)']]);
        expect(eventsOf(businessId, 'connection.created').map((e) => e.data)).toEqual([{ connection_id: row.id, auth_method: 'client_credentials', environment: 'production' }]);
        // The same app in the sandbox does not exist: Ramp refuses there.
        await set(row.id, { status: 'needs_reauth' });
        await expect(service.connectWithCredentials({ businessId, tokenId: 't', clientId: app.client_id, clientSecret: app.client_secret, scopes: ['business:read'] }, r.record)).rejects.toMatchObject({ code: 'ramp_invalid_client' });
        const replaced = await service.connectWithCredentials({ businessId, tokenId: 't2', clientId: app.client_id, clientSecret: app.client_secret, scopes: ['business:read'], environment: 'production' }, r.record);
        expect(replaced.id).not.toBe(row.id);
        expect(replaced.created_by_token_id).toBe('t2');
      });

      it('invalid_scope without words from Ramp: the detail does not invent a quote', async () => {
        class Silent extends RampOAuthClient {
          override async clientCredentials(): Promise<TokenResult> {
            return { ok: false, failure: { code: 'invalid_scope', permanent: true, status: 400, description: '' } };
          }
        }
        const silent = new ConnectService({ ...services, oauth: new Silent() });
        await expect(silent.connectWithCredentials({ businessId: await newBusiness(), tokenId: 't', clientId: 'c', clientSecret: 's', scopes: ['a', 'b'] }, async () => {})).rejects.toMatchObject({
          code: 'ramp_invalid_scope',
          message: 'Your Ramp app does not allow every requested scope. This connection asks for: a, b. Enable them in Ramp Dashboard → Company → Developer, or send `scopes` with fewer (syncs then skip what they cannot read).',
        });
      });

      it('a connect that loses the race after asking Ramp gives its token back and reports the winner', async () => {
        const businessId = await newBusiness();
        const app = await h.emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: ['business:read'] });
        const winner = (await service.connectWithCredentials({ businessId, tokenId: 't', clientId: app.client_id, clientSecret: app.client_secret, scopes: ['business:read'] }, async () => {})).id;
        // The race itself cannot be timed from outside: a store whose pre-check read misses the winner.
        class LateStore extends ConnectionStore {
          override async find(id: string) {
            return id === businessId ? undefined : super.find(id);
          }
        }
        const late = new ConnectService({ ...services, store: new LateStore(h.db, h.store.vault, h.ctx.now) });
        const before = await h.emu.stats();
        const r = recorder();
        await expect(late.connectWithCredentials({ businessId, tokenId: 't', clientId: app.client_id, clientSecret: app.client_secret, scopes: ['business:read'] }, r.record)).rejects.toMatchObject({ code: 'resource_exists', existingId: winner, message: 'Resource already exists' });
        expect(r.calls).toEqual([['failure', 'conflict: a live connection exists']]);
        expect((await h.emu.stats()).grants.client_credentials).toBe(before.grants.client_credentials + 1);
        await expect.poll(async () => (await h.emu.stats()).revocations).toBe(before.revocations + 1);
        expect(eventsOf(businessId, 'connection.created')).toHaveLength(1);
        expect((await rowOf(businessId)).id).toBe(winner);
      });
    });

    describe('ConnectService: the redirect flow', () => {
      let tenant: Awaited<ReturnType<typeof createTenant>>;
      beforeEach(async () => {
        tenant = await createTenant(h.db, 'owner');
      });
      const start = (returnTo?: string) => service.startAuthorization({ businessId: tenant.businessId, userId: tenant.userId, tokenId: tenant.tokenId, ...(returnTo ? { returnTo } : {}) });
      const stateOf = (connectUrl: string) => new URL(connectUrl).searchParams.get('state')!;
      /** Ramp's consent screen approves and redirects back with a code. */
      const approve = async (authorizeUrl: string) => {
        await h.emu.consent({ decision: 'approve', role: 'admin' });
        const res = await fetch(authorizeUrl, { redirect: 'manual' });
        return new URL(res.headers.get('location')!);
      };

      it('start → launch → callback: a connected oauth row, audit row, event, and the return URL', async () => {
        const started = await start('http://127.0.0.1:1/settings');
        expect(started.connectUrl).toBe(launchUrl('http://127.0.0.1:1', stateOf(started.connectUrl)));
        const state = stateOf(started.connectUrl);
        const launched = await service.launchAuthorization({ state });
        expect(launched.browserSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(launched.expiresAt).toBe(started.expiresAt);
        const url = new URL(launched.authorizeUrl);
        expect(`${url.origin}${url.pathname}`).toBe(`${h.ctx.config.rampHosts.sandbox.appBaseUrl}/v1/authorize`);
        expect(Object.fromEntries(url.searchParams)).toEqual({ response_type: 'code', client_id: services.oauthApp!.clientId, redirect_uri: 'http://127.0.0.1:1/api/v1/ramp/callback', scope: h.ctx.config.rampScopes.join(' '), state, code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), code_challenge_method: 'S256' });
        const back = await approve(launched.authorizeUrl);
        expect(back.searchParams.get('state')).toBe(state);
        let audited = 0;
        const target = await service.completeAuthorization({ state, code: back.searchParams.get('code')!, browserSecret: launched.browserSecret, requestId: 'req-1', iss: h.ctx.config.rampHosts.sandbox.appBaseUrl, onAudited: () => audited++ });
        expect(target).toBe('http://127.0.0.1:1/settings?ramp=connected');
        expect(audited).toBe(1);
        const row = await rowOf(tenant.businessId);
        expect(row).toMatchObject({ auth_method: 'oauth', environment: 'sandbox', client_id: services.oauthApp!.clientId, created_by_token_id: tenant.tokenId, status: 'connected' });
        expect(h.store.open(row).refreshToken).toBeTruthy();
        expect((await auditRows(tenant.businessId)).map((a) => ({ action: a.action, outcome: a.outcome, detail: a.detail, request_id: a.request_id, actor_token_id: a.actor_token_id }))).toEqual([
          { action: 'connect.oauth', outcome: 'success', detail: 'connected (sandbox)', request_id: 'req-1', actor_token_id: tenant.tokenId },
        ]);
        expect(eventsOf(tenant.businessId, 'connection.created').map((e) => e.data)).toEqual([{ connection_id: row.id, auth_method: 'oauth', environment: 'sandbox' }]);
        // The status and view read the same row, with the summary.
        expect(await service.status(tenant.businessId)).toMatchObject({ status: 'connected', connection_id: row.id, transaction_count: 3 });
        expect(await service.view(row)).toMatchObject({ connection_id: row.id, transaction_count: 3 });
      });

      it('a consent that finds the business connected by another consent during its code exchange: the other stays, its own new grant is revoked at Ramp', async () => {
        const started = await start('http://127.0.0.1:1/settings');
        const state = stateOf(started.connectUrl);
        const launched = await service.launchAuthorization({ state });
        const back = await approve(launched.authorizeUrl);
        let winner: RampConnectionsTable | undefined;
        // The other consent commits while this one's exchange is at Ramp (the real exchange, then the row).
        class ConcurrentConsent extends RampOAuthClient {
          override async exchangeCode(...args: Parameters<RampOAuthClient['exchangeCode']>): Promise<TokenResult> {
            const result = await super.exchangeCode(...args);
            const other = await h.store.create({ businessId: tenant.businessId, environment: 'sandbox', authMethod: 'oauth', clientId: services.oauthApp!.clientId, requestedScopes: ['business:read'], tokens: { accessToken: 'the-other-consents-access', refreshToken: 'the-other-consents-refresh', expiresInS: 3600, scope: undefined }, createdByTokenId: null, replaceConnected: false });
            if ('created' in other) winner = other.created;
            return result;
          }
        }
        const racing = new ConnectService({ ...services, oauth: new ConcurrentConsent() });
        const before = await h.emu.stats();
        const target = await racing.completeAuthorization({ state, code: back.searchParams.get('code')!, browserSecret: launched.browserSecret, requestId: 'r' });
        expect(target).toBe('http://127.0.0.1:1/settings?ramp=error&reason=already_connected');
        expect(winner).toBeDefined();
        expect(await rowOf(tenant.businessId)).toMatchObject({ id: winner!.id, status: 'connected' });
        const after = await h.emu.stats();
        expect(after.grants.authorization_code).toBe(before.grants.authorization_code + 1);
        expect(after.revocations).toBe(before.revocations + 1);
        expect(eventsOf(tenant.businessId, 'connection.created')).toHaveLength(0);
      });

      it('start: default return URL is PUBLIC_URL/; a foreign one is refused; no app → oauth_not_configured', async () => {
        const started = await start();
        const launched = await service.launchAuthorization({ state: stateOf(started.connectUrl) });
        const target = await service.completeAuthorization({ state: stateOf(started.connectUrl), error: 'access_denied', browserSecret: launched.browserSecret, requestId: 'r' });
        expect(target).toBe('http://127.0.0.1:1/?ramp=error&reason=access_denied');
        await expect(start('https://evil.example/')).rejects.toMatchObject({ code: 'return_to_not_allowed' });
        const noApp = new ConnectService({ ...services, oauthApp: undefined });
        await expect(noApp.startAuthorization({ businessId: tenant.businessId, userId: tenant.userId, tokenId: tenant.tokenId })).rejects.toMatchObject({ code: 'oauth_not_configured' });
        await expect(noApp.launchAuthorization({ state: 'x' })).rejects.toMatchObject({ code: 'oauth_not_configured' });
      });

      it('launch: a missing, unknown or already opened state is invalid_state; a well-formed cookie secret is reused, any other replaced', async () => {
        await expect(service.launchAuthorization({})).rejects.toMatchObject({ code: 'invalid_state' });
        await expect(service.launchAuthorization({ state: '' })).rejects.toMatchObject({ code: 'invalid_state' });
        await expect(service.launchAuthorization({ state: randomBytes(32).toString('base64url') })).rejects.toMatchObject({ code: 'invalid_state' });
        const first = stateOf((await start()).connectUrl);
        const secret = newBrowserSecret();
        expect((await service.launchAuthorization({ state: first, browserSecret: secret })).browserSecret).toBe(secret);
        await expect(service.launchAuthorization({ state: first, browserSecret: secret })).rejects.toMatchObject({ code: 'invalid_state' });
        for (const bad of [`${secret}x`, secret.slice(1), `!${secret.slice(1)}`, `${secret.slice(0, -1)}!`]) {
          const state = stateOf((await start()).connectUrl);
          const launched = await service.launchAuthorization({ state, browserSecret: bad });
          expect(launched.browserSecret).not.toBe(bad);
          expect(launched.browserSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
        }
      });

      it('launch and callback: a state row the vault cannot open is invalid_state, not a 500', async () => {
        const state = stateOf((await start()).connectUrl);
        await h.db.kysely.updateTable('oauth_states').set({ code_verifier: new Uint8Array([1, 2, 3]) }).where('state_hash', '=', hashState(state)).execute();
        await expect(service.launchAuthorization({ state })).rejects.toMatchObject({ code: 'invalid_state' });
        const other = stateOf((await start()).connectUrl);
        const secret = newBrowserSecret();
        await service.launchAuthorization({ state: other, browserSecret: secret });
        await h.db.kysely.updateTable('oauth_states').set({ code_verifier: new Uint8Array([1, 2, 3]) }).where('state_hash', '=', hashState(other)).execute();
        await expect(service.completeAuthorization({ state: other, code: 'c', browserSecret: secret, requestId: 'r' })).rejects.toMatchObject({ code: 'invalid_state' });
        // A store under another key ring: the vault's own error is not swallowed as invalid_state? It is a
        // CredentialsCorruptError too (unknown key) — still invalid_state, never a 500.
        const foreign = new ConnectService({ ...services, store: storeWith(OTHER_KEYS) });
        const third = stateOf((await start()).connectUrl);
        await expect(foreign.launchAuthorization({ state: third })).rejects.toMatchObject({ code: 'invalid_state' });
      });

      it('callback refusals: no state, another browser, no browser; nothing reaches Ramp and the rightful browser still finishes', async () => {
        await expect(service.completeAuthorization({ requestId: 'r' })).rejects.toMatchObject({ code: 'invalid_state' });
        await expect(service.completeAuthorization({ state: '', requestId: 'r' })).rejects.toMatchObject({ code: 'invalid_state' });
        const state = stateOf((await start()).connectUrl);
        const launched = await service.launchAuthorization({ state });
        const back = await approve(launched.authorizeUrl);
        const code = back.searchParams.get('code')!;
        const before = (await h.emu.stats()).grants.authorization_code;
        await expect(service.completeAuthorization({ state, code, browserSecret: newBrowserSecret(), requestId: 'r' })).rejects.toMatchObject({ code: 'oauth_other_browser' });
        await expect(service.completeAuthorization({ state, code, requestId: 'r' })).rejects.toMatchObject({ code: 'oauth_other_browser' });
        await expect(service.completeAuthorization({ state: randomBytes(32).toString('base64url'), code, browserSecret: launched.browserSecret, requestId: 'r' })).rejects.toMatchObject({ code: 'invalid_state' });
        expect((await h.emu.stats()).grants.authorization_code).toBe(before);
        expect(await auditRows(tenant.businessId)).toEqual([]);
        expect(await service.completeAuthorization({ state, code, browserSecret: launched.browserSecret, requestId: 'r' })).toBe('http://127.0.0.1:1/?ramp=connected');
      });

      /** A launched flow, ready for its callback. */
      const launchedFlow = async () => {
        const state = stateOf((await start()).connectUrl);
        const launched = await service.launchAuthorization({ state });
        return { state, browserSecret: launched.browserSecret, authorizeUrl: launched.authorizeUrl };
      };

      it('issuer: Ramp\'s app or API host is accepted, any other is a mix-up (audited, no exchange)', async () => {
        const hosts = h.ctx.config.rampHosts.sandbox;
        for (const iss of [hosts.apiBaseUrl, undefined]) {
          const flow = await launchedFlow();
          const back = await approve(flow.authorizeUrl);
          const res = await service.completeAuthorization({ state: flow.state, code: back.searchParams.get('code')!, browserSecret: flow.browserSecret, requestId: 'r', ...(iss ? { iss } : {}) });
          expect(res).toContain('ramp=connected');
        }
        const flow = await launchedFlow();
        let audited = 0;
        const err = await service.completeAuthorization({ state: flow.state, code: 'c', browserSecret: flow.browserSecret, requestId: 'r-iss', iss: h.ctx.config.rampHosts.production.appBaseUrl, onAudited: () => audited++ }).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'invalid_state', message: 'The authorization response came from a different Ramp environment; start again' });
        expect(audited).toBe(1);
        const last = (await auditRows(tenant.businessId)).at(-1)!;
        expect(last).toMatchObject({ action: 'connect.oauth', outcome: 'failure', detail: 'issuer mismatch', request_id: 'r-iss' });
      });

      it('issuer, where Ramp\'s app and API hosts differ (as in production): either one is accepted', async () => {
        const hosts = h.ctx.config.rampHosts.sandbox;
        const app = 'https://app.ramp.test';
        const split = new ConnectService({ ...services, ctx: { ...h.ctx, config: { ...h.ctx.config, rampHosts: { ...h.ctx.config.rampHosts, sandbox: { ...hosts, appBaseUrl: app } } } } });
        for (const iss of [app, hosts.apiBaseUrl]) {
          const flow = await launchedFlow();
          const back = await approve(flow.authorizeUrl);
          const res = await split.completeAuthorization({ state: flow.state, code: back.searchParams.get('code')!, browserSecret: flow.browserSecret, requestId: 'r', iss });
          expect(res, iss).toContain('ramp=connected');
        }
      });

      it('Ramp\'s error, a missing code, a failed exchange: back to return_to with a readable reason, audited', async () => {
        const cases: [Record<string, string>, string, string][] = [
          [{ error: 'access_denied' }, 'access_denied', 'ramp: access_denied'],
          [{ error: 'invalid_scope' }, 'invalid_scope', 'ramp: invalid_scope'],
          [{ error: 'invalid_grant' }, 'authorization_expired', 'ramp: authorization_expired'],
          [{ error: 'invalid_client' }, 'app_misconfigured', 'ramp: app_misconfigured'],
          [{ error: 'unauthorized_client' }, 'app_misconfigured', 'ramp: app_misconfigured'],
          [{ error: 'server_error' }, 'authorization_failed', 'ramp: authorization_failed'],
          [{ error: 'toString' }, 'authorization_failed', 'ramp: authorization_failed'],
          [{}, 'authorization_failed', 'no code'],
          [{ code: '' }, 'authorization_failed', 'no code'],
          [{ code: 'not-a-code' }, 'authorization_expired', 'exchange failed: invalid_grant'],
        ];
        for (const [params, reason, detail] of cases) {
          const flow = await launchedFlow();
          const target = await service.completeAuthorization({ state: flow.state, browserSecret: flow.browserSecret, requestId: 'r', ...params });
          expect(target, JSON.stringify(params)).toBe(`http://127.0.0.1:1/?ramp=error&reason=${reason}`);
          expect((await auditRows(tenant.businessId)).at(-1), JSON.stringify(params)).toMatchObject({ outcome: 'failure', detail });
        }
        // Ramp failing at the exchange (5xx): ramp_unavailable.
        const flow = await launchedFlow();
        const back = await approve(flow.authorizeUrl);
        await h.emu.faults({ error_rate: 1, paths: ['/sandbox/developer/v1/token'] });
        expect(await service.completeAuthorization({ state: flow.state, code: back.searchParams.get('code')!, browserSecret: flow.browserSecret, requestId: 'r' })).toBe('http://127.0.0.1:1/?ramp=error&reason=ramp_unavailable');
        expect((await auditRows(tenant.businessId)).at(-1)).toMatchObject({ detail: 'exchange failed: server_error' });
        expect(await h.store.find(tenant.businessId)).toBeUndefined();
      });

      it('Ramp omitting the granted scope: the row keeps the scopes asked for; a flow without return_to goes to PUBLIC_URL/', async () => {
        const flow = await launchedFlow();
        const back = await approve(flow.authorizeUrl);
        await h.db.kysely.updateTable('oauth_states').set({ return_to: null }).where('state_hash', '=', hashState(flow.state)).execute();
        await h.emu.faults({ include_scope: false });
        expect(await service.completeAuthorization({ state: flow.state, code: back.searchParams.get('code')!, browserSecret: flow.browserSecret, requestId: 'r' })).toBe('http://127.0.0.1:1/?ramp=connected');
        expect((await rowOf(tenant.businessId)).scopes).toBe(h.ctx.config.rampScopes.join(' '));
      });

      it('the app removed between launch and callback: oauth_not_configured, no exchange', async () => {
        const flow = await launchedFlow();
        const noApp = new ConnectService({ ...services, oauthApp: undefined });
        await expect(noApp.completeAuthorization({ state: flow.state, code: 'c', browserSecret: flow.browserSecret, requestId: 'r' })).rejects.toMatchObject({ code: 'oauth_not_configured' });
      });

      it('a grant waiting for revocation is not replaced by a new consent: revocation_pending', async () => {
        const flow = await launchedFlow();
        const back = await approve(flow.authorizeUrl);
        await service.completeAuthorization({ state: flow.state, code: back.searchParams.get('code')!, browserSecret: flow.browserSecret, requestId: 'r' });
        await set((await rowOf(tenant.businessId)).id, { status: 'revoke_pending' });
        const again = await launchedFlow();
        const back2 = await approve(again.authorizeUrl);
        expect(await service.completeAuthorization({ state: again.state, code: back2.searchParams.get('code')!, browserSecret: again.browserSecret, requestId: 'r' })).toBe('http://127.0.0.1:1/?ramp=error&reason=revocation_pending');
        expect((await auditRows(tenant.businessId)).at(-1)).toMatchObject({ outcome: 'failure', detail: 'the previous connection is still being revoked at Ramp' });
        expect(eventsOf(tenant.businessId, 'connection.created')).toHaveLength(1);

        // A disconnect that began after the pre-check looked (a store whose pre-check read misses the
        // row) is seen by the insert: the same reason, not "connected by someone else".
        const businessId = tenant.businessId;
        class LateStore extends ConnectionStore {
          override async find(id: string) {
            return id === businessId ? undefined : super.find(id);
          }
        }
        const late = new ConnectService({ ...services, store: new LateStore(h.db, h.store.vault, h.ctx.now) });
        const third = await launchedFlow();
        const back3 = await approve(third.authorizeUrl);
        expect(await late.completeAuthorization({ state: third.state, code: back3.searchParams.get('code')!, browserSecret: third.browserSecret, requestId: 'r' })).toBe('http://127.0.0.1:1/?ramp=error&reason=revocation_pending');
        expect((await auditRows(tenant.businessId)).at(-1)).toMatchObject({ outcome: 'failure', detail: 'the previous connection is still being revoked at Ramp' });
        await set((await rowOf(tenant.businessId)).id, { status: 'needs_reauth' });
      });
    });

    describe('ConnectService: disconnect and revocation retries', () => {
      const recorded = () => {
        const outcomes: Disconnected[] = [];
        return { outcomes, record: async (o: Disconnected) => void outcomes.push(o) };
      };
      /** The row as the disconnect sealed it before asking Ramp: `revoke_pending`, its version moved on. */
      const sealed = (row: RampConnectionsTable) => ({ ...row, status: 'revoke_pending', status_reason: 'disconnecting', version: row.version + 1, next_refresh_at: null, revoke_pending_since: expect.any(Number), next_revoke_at: expect.any(Number), updated_at: expect.any(Number) });
      /** Ramp's token status: whether a resource call with it is accepted. */
      const accepted = async (accessToken: string) => (await fetch(`${h.emulator.url}/sandbox/developer/v1/business`, { headers: { authorization: `Bearer ${accessToken}` } })).status === 200;

      it('revokes refresh then access token at Ramp, deletes the row, records and emits', async () => {
        const row = await h.connectOAuth();
        const secrets = h.store.open(row);
        const before = (await h.emu.stats()).requests.length;
        const r = recorded();
        const outcome = await service.disconnect(row.business_id, r.record);
        expect(outcome).toEqual({ row: sealed(row), revoked: true });
        expect(r.outcomes).toEqual([outcome]);
        expect(await h.store.find(row.business_id)).toBeUndefined();
        expect(await accepted(secrets.accessToken!)).toBe(false);
        const revokes = (await h.emu.stats()).requests.slice(before).filter((q) => q.path === REVOKE_PATH);
        expect(revokes).toHaveLength(2);
        expect(eventsOf(row.business_id, 'connection.deleted').map((e) => e.data)).toEqual([{ connection_id: row.id, revoked_at_ramp: true }]);
        await expect(service.disconnect(row.business_id, r.record)).rejects.toMatchObject({ code: 'ramp_not_connected' });
      });

      it('a refresh in flight: the disconnect waits for its lease, then revokes the tokens it committed', async () => {
        const row = await h.connectOAuth();
        const lease = (await h.store.acquireLease(row, 'refreshing-replica', 60_000))!;
        const rotated = await oauth.refresh(`${h.emulator.url}/sandbox`, services.oauthApp!, h.store.open(row).refreshToken!);
        if (!rotated.ok) throw new Error(rotated.failure.code);
        let settled = false;
        const disconnecting = service.disconnect(row.business_id, async () => {}).finally(() => (settled = true));
        // However long we look, nothing moves while the lease is held (60 s).
        await new Promise((r) => setTimeout(r, 300));
        expect(settled).toBe(false);
        expect(await rowOf(row.business_id)).toMatchObject({ status: 'connected', lease_owner: 'refreshing-replica' });
        expect(await h.store.writeTokens(lease.row, lease.row.version, rotated.tokens)).toBeDefined();
        expect(await disconnecting).toMatchObject({ revoked: true });
        expect(await h.store.find(row.business_id)).toBeUndefined();
        expect(await accepted(rotated.tokens.accessToken)).toBe(false);
        expect(await oauth.refresh(`${h.emulator.url}/sandbox`, services.oauthApp!, rotated.tokens.refreshToken!)).toMatchObject({ ok: false, failure: { code: 'invalid_grant' } });
      });

      it('a lease whose holder died: the disconnect goes on once it lapses, and the holder\'s late commit is fenced out', async () => {
        const row = await h.connectOAuth();
        const lease = (await h.store.acquireLease(row, 'dead-replica', 60_000))!;
        const disconnecting = service.disconnect(row.business_id, async () => {});
        await new Promise((r) => setTimeout(r, 100));
        await h.db.kysely.updateTable('ramp_connections').set({ lease_until: h.ctx.now() - 1 }).where('id', '=', row.id).execute();
        const outcome = await disconnecting;
        expect(outcome).toMatchObject({ revoked: true, row: { status: 'revoke_pending', version: row.version + 1 } });
        expect(await h.store.writeTokens(lease.row, lease.row.version, tokens())).toBeUndefined();
        expect(await h.store.find(row.business_id)).toBeUndefined();
      });

      it('two disconnects at once, Ramp failing: one seals the row and is left pending, the other is told at once there is nothing to disconnect', async () => {
        const row = await h.connectOAuth();
        await h.emu.faults({ error_rate: 1, paths: [REVOKE_PATH], retry_after_s: 0 });
        const outcomes = await Promise.allSettled([service.disconnect(row.business_id, async () => {}), service.disconnect(row.business_id, async () => {})]);
        expect(outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value)).toEqual([expect.objectContaining({ pending: true })]);
        expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o.reason as { code: string }).code)).toEqual(['ramp_not_connected']);
        expect(await rowOf(row.business_id)).toMatchObject({ status: 'revoke_pending' });
        await h.db.kysely.updateTable('ramp_connections').set({ status: 'needs_reauth' }).where('id', '=', row.id).execute();
      });

      it('a lease held past its lifetime plus 5 s: 503 service_unavailable, nothing changed', async () => {
        const row = await h.connectOAuth();
        await h.store.acquireLease(row, 'stuck-replica', 10 * MINUTE);
        let settled = false;
        const disconnecting = service.disconnect(row.business_id, async () => {}).finally(() => (settled = true));
        // Once it is waiting (if not yet, it waits the real 35 s: slower, never wrong), time jumps to the
        // lease's lifetime (still waiting: the holder may be about to commit), then past the 5 s margin.
        await new Promise((r) => setTimeout(r, 300));
        h.clock.offsetMs += h.ctx.config.refreshLeaseMs;
        try {
          await new Promise((r) => setTimeout(r, 200));
          expect(settled).toBe(false);
          h.clock.offsetMs += 5_000;
          await expect(disconnecting).rejects.toMatchObject({ code: 'service_unavailable', detail: 'A token refresh of this connection is in progress; try again' });
        } finally {
          h.clock.offsetMs -= h.ctx.config.refreshLeaseMs + 5_000;
        }
        expect(await rowOf(row.business_id)).toMatchObject({ status: 'connected', version: row.version, lease_owner: 'stuck-replica' });
        await h.db.kysely.updateTable('ramp_connections').set({ lease_until: null, lease_owner: null }).where('id', '=', row.id).execute();
      });

      it('a client-credentials grant is revoked with the customer\'s own app; a refused revocation still deletes (permanent)', async () => {
        const row = await h.connectClientCredentials();
        const token = h.store.open(row).accessToken!;
        const r = recorded();
        expect(await service.disconnect(row.business_id, r.record)).toEqual({ row: sealed(row), revoked: true });
        expect(await accepted(token)).toBe(false);

        const rotated = await h.connectClientCredentials();
        await h.emu.rotateSecret(rotated.client_id!);
        const refused = await service.disconnect(rotated.business_id, r.record);
        expect(refused).toEqual({ row: sealed(rotated), revoked: false, reason: 'invalid_client' });
        expect(await h.store.find(rotated.business_id)).toBeUndefined();
        expect(eventsOf(rotated.business_id, 'connection.deleted').map((e) => e.data)).toEqual([{ connection_id: rotated.id, revoked_at_ramp: false }]);
      });

      it('unreadable secrets: deleted as credentials_corrupt; secrets under a key this replica lacks: 503, kept', async () => {
        const row = await h.connectOAuth();
        const foreign = new ConnectService({ ...services, store: storeWith(OTHER_KEYS) });
        await expect(foreign.disconnect(row.business_id, async () => {})).rejects.toMatchObject({ code: 'encryption_key_unavailable' });
        expect((await rowOf(row.business_id)).status).toBe('connected');
        const other = await h.connectOAuth();
        await set(row.id, { access_token: other.access_token });
        expect(await service.disconnect(row.business_id, async () => {})).toMatchObject({ revoked: false, reason: 'credentials_corrupt' });
        expect(await h.store.find(row.business_id)).toBeUndefined();
      });

      it('an oauth grant with no app configured: not revoked (oauth_not_configured), deleted', async () => {
        const row = await h.connectOAuth();
        const noApp = new ConnectService({ ...services, oauthApp: undefined });
        expect(await noApp.disconnect(row.business_id, async () => {})).toEqual({ row: sealed(row), revoked: false, reason: 'oauth_not_configured' });
        expect(await h.store.find(row.business_id)).toBeUndefined();
      });

      it('Ramp failing: revoke_pending retried a minute later, then halfway to now capped at an hour, until revoked or given up after 24 h', async () => {
        const row = await h.connectOAuth();
        const token = h.store.open(row).accessToken!;
        await h.emu.faults({ error_rate: 1, paths: [REVOKE_PATH], retry_after_s: 0 });
        const r = recorded();
        const outcome = await service.disconnect(row.business_id, r.record);
        expect(outcome).toEqual({ row: sealed(row), revoked: false, pending: true, reason: 'server_error' });
        expect(r.outcomes).toEqual([outcome]);
        const pending = await rowOf(row.business_id);
        expect(pending).toMatchObject({ status: 'revoke_pending', status_reason: 'server_error' });
        // A minute after Ramp failed (the row was sealed just before Ramp was asked).
        expect(pending.revoke_pending_since!).toBeLessThanOrEqual(pending.last_error_at!);
        expect(pending.next_revoke_at! - pending.last_error_at!).toBeGreaterThan(REVOKE_RETRY_MIN_MS - 1_000);
        expect(pending.next_revoke_at! - pending.last_error_at!).toBeLessThanOrEqual(REVOKE_RETRY_MIN_MS);
        expect(REVOKE_RETRY_MIN_MS).toBe(MINUTE);
        expect(eventsOf(row.business_id, 'connection.deleted')).toEqual([]);
        await expect(service.disconnect(row.business_id, r.record)).rejects.toMatchObject({ code: 'ramp_not_connected' });

        // Not due yet: nothing happens.
        expect(await service.retryRevocations()).toBe(0);
        const since = pending.revoke_pending_since!;
        // 3 hours after the disconnect, still failing: next try in 1.5 h capped at 1 h.
        await set(row.id, { revoke_pending_since: h.ctx.now() - 3 * HOUR, next_revoke_at: h.ctx.now() - 1 });
        expect(await service.retryRevocations()).toBe(0);
        const later = await rowOf(row.business_id);
        expect(later.next_revoke_at! - h.ctx.now()).toBeGreaterThan(HOUR - 1_000);
        expect(later.next_revoke_at! - h.ctx.now()).toBeLessThanOrEqual(HOUR);
        expect(later.last_error).toBe('revocation failed: server_error');
        // 40 minutes after the disconnect would be 20 minutes: check the halving below the cap.
        await set(row.id, { revoke_pending_since: h.ctx.now() - 40 * MINUTE, next_revoke_at: h.ctx.now() - 1 });
        expect(await service.retryRevocations()).toBe(0);
        const halved = await rowOf(row.business_id);
        expect(halved.next_revoke_at! - h.ctx.now()).toBeGreaterThan(20 * MINUTE - 1_000);
        expect(halved.next_revoke_at! - h.ctx.now()).toBeLessThanOrEqual(20 * MINUTE + 10_000);
        expect(await accepted(token)).toBe(true);

        // Ramp back: revoked, deleted, audited, one event.
        await h.emu.faults({ reset: true });
        await set(row.id, { revoke_pending_since: since, next_revoke_at: h.ctx.now() - 1 });
        expect(await service.retryRevocations()).toBe(1);
        expect(await h.store.find(row.business_id)).toBeUndefined();
        expect(await accepted(token)).toBe(false);
        expect((await auditRows(row.business_id)).map((a) => [a.action, a.outcome, a.detail, a.actor_token_id, a.request_id])).toEqual([['connection.revoke_retry', 'success', 'revoked at Ramp; secrets deleted', null, null]]);
        expect(eventsOf(row.business_id, 'connection.deleted').map((e) => e.data)).toEqual([{ connection_id: row.id, revoked_at_ramp: true }]);
      });

      it('given up: deleted anyway at 24 h (not a moment before), audited as such; the lease and limit hold', async () => {
        const rows = [await h.connectClientCredentials(), await h.connectClientCredentials(), await h.connectClientCredentials()];
        await h.emu.faults({ error_rate: 1, paths: [REVOKE_PATH], retry_after_s: 0 });
        for (const row of rows) expect(await service.disconnect(row.business_id, async () => {})).toMatchObject({ pending: true });
        const now = h.ctx.now();
        await set(rows[0]!.id, { revoke_pending_since: now - REVOKE_GIVE_UP_MS + 60_000, next_revoke_at: now - 3 });
        await set(rows[1]!.id, { revoke_pending_since: now - REVOKE_GIVE_UP_MS - 1, next_revoke_at: now - 2 });
        await set(rows[2]!.id, { revoke_pending_since: null, updated_at: now - REVOKE_GIVE_UP_MS - 1, next_revoke_at: now - 1 });
        expect(REVOKE_GIVE_UP_MS).toBe(24 * HOUR);
        // limit 1: only the oldest due row (rows[0], still within the period: rescheduled).
        expect(await service.retryRevocations({ limit: 1 })).toBe(0);
        expect((await rowOf(rows[0]!.business_id)).status).toBe('revoke_pending');
        expect(await service.retryRevocations({ leaseMs: 10 * MINUTE })).toBe(2);
        for (const row of rows.slice(1)) {
          expect(await h.store.find(row.business_id)).toBeUndefined();
          expect((await auditRows(row.business_id)).map((a) => [a.action, a.outcome, a.detail])).toEqual([['connection.revoke_retry', 'failure', 'gave up (server_error); secrets deleted']]);
          expect(eventsOf(row.business_id, 'connection.deleted').map((e) => e.data)).toEqual([{ connection_id: row.id, revoked_at_ramp: false }]);
        }
        // rows[0] was claimed by the first pass and pushed out by the default lease (a minute) then rescheduled.
        const first = await rowOf(rows[0]!.business_id);
        expect(first.next_revoke_at! - now).toBeGreaterThan(0);
        // A claimed-but-not-settled row is taken again only after the lease: move it due and claim with a long lease.
        await set(rows[0]!.id, { next_revoke_at: h.ctx.now() - 1 });
        const claimed = await h.store.claimDueRevocations(h.ctx.now(), 10 * MINUTE, 20);
        expect(claimed.map((c) => c.id)).toContain(rows[0]!.id);
        expect((await rowOf(rows[0]!.business_id)).next_revoke_at! - h.ctx.now()).toBeGreaterThan(10 * MINUTE - 1_000);
        await h.emu.faults({ reset: true });
        await set(rows[0]!.id, { next_revoke_at: h.ctx.now() - 1 });
        expect(await service.retryRevocations()).toBe(1);
      });

      it('the row deleted meanwhile (the disconnect that sealed it finished after all): the retry pass reports nothing twice', async () => {
        const row = await h.connectClientCredentials();
        await h.emu.faults({ error_rate: 1, paths: [REVOKE_PATH], retry_after_s: 0 });
        await service.disconnect(row.business_id, async () => {});
        await h.emu.faults({ reset: true });
        await set(row.id, { next_revoke_at: h.ctx.now() - 1 });
        class FinishedMeanwhile extends RampOAuthClient {
          override async revoke(...args: Parameters<RampOAuthClient['revoke']>) {
            await h.store.delete(row);
            return super.revoke(...args);
          }
        }
        const told: string[] = [];
        const hooks: ConnectionHooks = { connected: async () => {}, disconnecting: async () => {}, disconnected: async (businessId) => void told.push(businessId), webhookStatus: async () => null };
        const late = new ConnectService({ ...services, oauth: new FinishedMeanwhile({ timeoutMs: 5_000 }), hooks });
        expect(await late.retryRevocations()).toBe(0);
        expect(await auditRows(row.business_id)).toEqual([]);
        expect(eventsOf(row.business_id, 'connection.deleted')).toEqual([]);
        expect(told).toEqual([]);
      });

      it('with an outbox: connection.deleted and the retry\'s audit row commit with the delete; a failing outbox keeps the row for the next pass', async () => {
        const outbox: { type: string; data: unknown }[] = [];
        let outboxDown = false;
        const events = {
          emit: async () => void outbox.push({ type: 'emitted after the commit', data: null }),
          emitIn: async (_trx: unknown, _businessId: string, type: string, data: unknown) => {
            if (outboxDown) throw new Error('outbox down');
            outbox.push({ type, data });
          },
        };
        const withOutbox = new ConnectService({ ...services, events });
        // The caller's record (the route's audit row) is written with the delete, in the database it is handed.
        const recordIn = async ({ row: disconnected }: Disconnected, db: Kysely<Database>) =>
          audit(db, { businessId: disconnected.business_id, actorTokenId: 'tok', action: 'disconnect', outcome: 'success', requestId: 'req', detail: 'revoked at Ramp and deleted' }, h.ctx.now());
        const row = await h.connectOAuth();
        expect(await withOutbox.disconnect(row.business_id, recordIn)).toMatchObject({ revoked: true });
        expect(outbox).toEqual([{ type: 'connection.deleted', data: { connection_id: row.id, revoked_at_ramp: true } }]);
        expect((await auditRows(row.business_id)).map((a) => a.action)).toEqual(['disconnect']);
        // The outbox failing: the delete rolls back, and the record with it; the retry pass finishes.
        const failed = await h.connectOAuth();
        outbox.length = 0;
        outboxDown = true;
        await expect(withOutbox.disconnect(failed.business_id, recordIn)).rejects.toThrow('outbox down');
        outboxDown = false;
        expect(await rowOf(failed.business_id)).toMatchObject({ status: 'revoke_pending' });
        expect(await auditRows(failed.business_id)).toEqual([]);
        await set(failed.id, { next_revoke_at: h.ctx.now() - 1 });
        expect(await withOutbox.retryRevocations()).toBe(1);
        expect((await auditRows(failed.business_id)).map((a) => a.action)).toEqual(['connection.revoke_retry']);
        // The record failing: the delete rolls back with it (no event either).
        const unrecorded = await h.connectOAuth();
        outbox.length = 0;
        await expect(withOutbox.disconnect(unrecorded.business_id, async () => Promise.reject(new Error('audit down')))).rejects.toThrow('audit down');
        expect(await rowOf(unrecorded.business_id)).toMatchObject({ status: 'revoke_pending' });
        expect(outbox).toEqual([]);
        // The row deleted meanwhile by a retry pass (which recorded its own): this request is still recorded.
        const raced = await h.connectOAuth();
        class RetryPassMeanwhile extends RampOAuthClient {
          override async revoke(...args: Parameters<RampOAuthClient['revoke']>) {
            const row = await h.store.find(raced.business_id);
            if (row) await h.store.delete(row);
            return super.revoke(...args);
          }
        }
        outbox.length = 0;
        const racing = new ConnectService({ ...services, events, oauth: new RetryPassMeanwhile({ timeoutMs: 5_000 }) });
        expect(await racing.disconnect(raced.business_id, recordIn)).toMatchObject({ revoked: true });
        expect((await auditRows(raced.business_id)).map((a) => a.action)).toEqual(['disconnect']);
        expect(outbox).toEqual([]);
        outbox.length = 0;

        const kept = await h.connectClientCredentials();
        await h.emu.faults({ error_rate: 1, paths: [REVOKE_PATH], retry_after_s: 0 });
        await withOutbox.disconnect(kept.business_id, async () => {});
        await h.emu.faults({ reset: true });
        await set(kept.id, { next_revoke_at: h.ctx.now() - 1 });
        outbox.length = 0;
        outboxDown = true;
        await expect(withOutbox.retryRevocations()).rejects.toThrow('outbox down');
        expect(await rowOf(kept.business_id)).toMatchObject({ status: 'revoke_pending' });
        expect(await auditRows(kept.business_id)).toEqual([]);
        outboxDown = false;
        await set(kept.id, { next_revoke_at: h.ctx.now() - 1 });
        expect(await withOutbox.retryRevocations()).toBe(1);
        expect(outbox).toEqual([{ type: 'connection.deleted', data: { connection_id: kept.id, revoked_at_ramp: true } }]);
        expect((await auditRows(kept.business_id)).map((a) => a.action)).toEqual(['connection.revoke_retry']);
      });

      it('given up at exactly 24 h after the disconnect (a clock held at that millisecond)', async () => {
        const row = await h.connectClientCredentials();
        await h.emu.faults({ error_rate: 1, paths: [REVOKE_PATH], retry_after_s: 0 });
        await service.disconnect(row.business_id, async () => {});
        const at = h.ctx.now() + HOUR;
        const held = new ConnectService({ ...services, ctx: { ...h.ctx, now: () => at } });
        await set(row.id, { revoke_pending_since: at - REVOKE_GIVE_UP_MS, next_revoke_at: at - 1 });
        expect(await held.retryRevocations()).toBe(1);
        expect(await h.store.find(row.business_id)).toBeUndefined();
      });

      it('retry pass, default lease: a claimed row is pushed a minute ahead while it is tried', async () => {
        const row = await h.connectClientCredentials();
        await h.emu.faults({ error_rate: 1, paths: [REVOKE_PATH], retry_after_s: 0 });
        await service.disconnect(row.business_id, async () => {});
        // A revocation that fails permanently during the retry (rotated secret): settled, not rescheduled.
        await h.emu.rotateSecret(row.client_id!);
        await h.emu.faults({ reset: true });
        await set(row.id, { next_revoke_at: h.ctx.now() - 1 });
        expect(await service.retryRevocations()).toBe(1);
        expect((await auditRows(row.business_id)).map((a) => a.detail)).toEqual(['gave up (invalid_client); secrets deleted']);
      });
    });

    describe('ConnectService: hooks, hints and failures it must not hide', () => {
      /** The real OAuth client, remembering which token kind each revocation named. */
      class HintRecorder extends RampOAuthClient {
        readonly hints: string[] = [];
        override async revoke(...args: Parameters<RampOAuthClient['revoke']>) {
          this.hints.push(args[3]);
          return super.revoke(...args);
        }
      }

      it('the hooks: told after a connect (a failing one is logged, the connect stands), before the tokens are revoked at disconnect; status and view carry the webhook status', async () => {
        const calls: string[] = [];
        const webhook: WebhookStatus = { status: 'active', reason: null, event_types: ['transactions.cleared'], last_event_at: null };
        const hooks: ConnectionHooks = {
          connected: async (businessId) => {
            calls.push(`connected ${businessId}`);
            throw new Error('queue down');
          },
          disconnecting: async (businessId) => void calls.push(`disconnecting ${businessId} after ${(await h.emu.stats()).revocations} revocations`),
          disconnected: async (businessId, connectionId) => void calls.push(`disconnected ${businessId} ${connectionId}, row ${(await h.store.find(businessId)) ? 'kept' : 'gone'}`),
          webhookStatus: async (businessId) => (businessId === 'none' ? null : webhook),
        };
        const logged: unknown[][] = [];
        const log = { error: (...args: unknown[]) => void logged.push(args) } as unknown as Logger;
        const hooked = new ConnectService({ ...services, ctx: { ...h.ctx, log }, hooks });
        const businessId = await newBusiness();
        const app = await h.emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: ['business:read'] });
        const row = await hooked.connectWithCredentials({ businessId, tokenId: 't', clientId: app.client_id, clientSecret: app.client_secret, scopes: ['business:read'] }, async () => {});
        expect(calls).toEqual([`connected ${businessId}`]);
        expect(logged).toEqual([[{ err: new Error('queue down'), business_id: businessId }, 'could not queue the Ramp webhook subscription']]);
        expect((await hooked.status(businessId)).webhook).toEqual(webhook);
        expect((await hooked.view(row)).webhook).toEqual(webhook);
        expect((await hooked.view({ ...row, business_id: 'none' })).webhook).toBeNull();
        // No connection: no subscription to show.
        expect((await hooked.status(await newBusiness())).webhook).toBeNull();
        const before = (await h.emu.stats()).revocations;
        calls.length = 0;
        expect(await hooked.disconnect(businessId, async () => {})).toMatchObject({ revoked: true });
        expect(calls).toEqual([`disconnecting ${businessId} after ${before} revocations`, `disconnected ${businessId} ${row.id}, row gone`]);
        expect((await h.emu.stats()).revocations).toBe(before + 1);
        // A disconnect already under way (revoke_pending): refused before the hooks hear of it.
        const pendingRow = await h.connectOAuth();
        await h.store.beginRevocation(pendingRow, h.ctx.now() + HOUR);
        calls.length = 0;
        await expect(hooked.disconnect(pendingRow.business_id, async () => {})).rejects.toMatchObject({ code: 'ramp_not_connected' });
        expect(calls).toEqual([]);
        // The retry pass that deletes it tells `disconnected` (a pass that finds it gone does not: below).
        await set(pendingRow.id, { next_revoke_at: h.ctx.now() - 1 });
        expect(await hooked.retryRevocations()).toBe(1);
        expect(calls).toEqual([`disconnected ${pendingRow.business_id} ${pendingRow.id}, row gone`]);
        // A disconnect that fails after `disconnecting` (a refresh holding the lease too long) never tells `disconnected`.
        const leased = await h.connectOAuth();
        await set(leased.id, { lease_owner: 'another replica', lease_until: h.ctx.now() + HOUR });
        // A clock that moves 3 s per reading: the 5 s past the (1 ms) lease go by in a few polls.
        let clock = h.ctx.now();
        const stuck = new ConnectService({ ...services, ctx: { ...h.ctx, now: () => (clock += 3_000), config: { ...h.ctx.config, refreshLeaseMs: 1 } }, hooks });
        calls.length = 0;
        await expect(stuck.disconnect(leased.business_id, async () => {})).rejects.toMatchObject({ code: 'service_unavailable' });
        expect(calls).toEqual([`disconnecting ${leased.business_id} after ${(await h.emu.stats()).revocations} revocations`]);
      });

      it('revocation names the token it sends: refresh token first, then access token; the race loser gives back its access token', async () => {
        const oauthRecorder = new HintRecorder({ timeoutMs: 5_000 });
        const recording = new ConnectService({ ...services, oauth: oauthRecorder });
        const row = await h.connectOAuth();
        await recording.disconnect(row.business_id, async () => {});
        expect(oauthRecorder.hints).toEqual(['refresh_token', 'access_token']);
        oauthRecorder.hints.length = 0;
        const cc = await h.connectClientCredentials();
        await recording.disconnect(cc.business_id, async () => {});
        expect(oauthRecorder.hints).toEqual(['access_token']);

        const businessId = await newBusiness();
        const app = await h.emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: ['business:read'] });
        await service.connectWithCredentials({ businessId, tokenId: 't', clientId: app.client_id, clientSecret: app.client_secret, scopes: ['business:read'] }, async () => {});
        class LateStore extends ConnectionStore {
          override async find(id: string) {
            return id === businessId ? undefined : super.find(id);
          }
        }
        oauthRecorder.hints.length = 0;
        const late = new ConnectService({ ...services, oauth: oauthRecorder, store: new LateStore(h.db, h.store.vault, h.ctx.now) });
        await expect(late.connectWithCredentials({ businessId, tokenId: 't', clientId: app.client_id, clientSecret: app.client_secret, scopes: ['business:read'] }, async () => {})).rejects.toMatchObject({ code: 'resource_exists' });
        await expect.poll(() => oauthRecorder.hints, { timeout: 15_000 }).toEqual(['access_token']);
      });

      it('a database failure while opening a flow or reading secrets is that failure, not invalid_state or a silent delete', async () => {
        const tenant = await createTenant(h.db, 'owner');
        const state = new URL((await service.startAuthorization({ businessId: tenant.businessId, userId: tenant.userId, tokenId: tenant.tokenId })).connectUrl).searchParams.get('state')!;
        const down = new Proxy(h.db.kysely, {
          get: () => {
            throw new Error('database down');
          },
        });
        const broken = new ConnectService({ ...services, ctx: { ...h.ctx, db: { ...h.db, kysely: down } } });
        await expect(broken.launchAuthorization({ state })).rejects.toThrow('database down');
        await expect(broken.completeAuthorization({ state, code: 'c', browserSecret: newBrowserSecret(), requestId: 'r' })).rejects.toThrow('database down');
        // The flow itself is untouched: the rightful launch still works.
        await expect(service.launchAuthorization({ state })).resolves.toMatchObject({ browserSecret: expect.any(String) });

        const row = await h.connectOAuth();
        class Failing extends ConnectionStore {
          override open(): never {
            throw new TypeError('vault misconfigured');
          }
        }
        const failing = new ConnectService({ ...services, store: new Failing(h.db, h.store.vault, h.ctx.now) });
        await expect(failing.disconnect(row.business_id, async () => {})).rejects.toThrow('vault misconfigured');
        expect((await rowOf(row.business_id)).status).toBe('connected');
      });
    });
  });
}
