// The layers of src/, lowest first: a module may import its own layer and the layers listed before it,
// never one listed after it. .dependency-cruiser.cjs turns this list into rules (`npm run lint`), and
// test/architecture/architecture.test.ts checks ARCHITECTURE.md shows the same list in the same order.
// The domain folders are ordered too, so no two folders of src/ can import each other (no folder cycle).
'use strict';

/** @type {{ name: string; path: string; why: string }[]} */
const LAYERS = [
  { name: 'foundation', path: '^src/(config|support|logging|metrics)/', why: 'configuration, small utilities, logging, the metrics registry' },
  { name: 'db', path: '^src/db/', why: 'Kysely over SQLite/PostgreSQL, schema, migrations' },
  { name: 'core', path: '^src/(core/|app-context\\.ts$)', why: 'error catalogue, pagination, shared schemas, the claim-due statement, the app context' },
  { name: 'vault', path: '^src/vault/', why: 'key ring, envelope encryption, encrypted tables, rewrap' },
  { name: 'audit', path: '^src/audit/', why: 'append-only audit rows' },
  { name: 'tenancy', path: '^src/tenancy/', why: 'businesses, users, memberships' },
  { name: 'auth', path: '^src/auth/', why: 'API token format and repository' },
  { name: 'oauth', path: '^src/oauth/', why: "Ramp's token endpoint: requests and answers" },
  { name: 'ramp', path: '^src/ramp/', why: 'Ramp API client, limiter, retries, proxy' },
  { name: 'events', path: '^src/events/', why: 'outbox, webhook endpoints, deliveries' },
  { name: 'connections', path: '^src/connections/', why: 'the connection row and its owner, OAuth state, connect/disconnect/callback service' },
  { name: 'tokens', path: '^src/tokens/', why: 'TokenManager, refresh scheduler' },
  { name: 'sync', path: '^src/sync/', why: 'sync runner, cursors, records, schedules' },
  { name: 'ramp-webhooks', path: '^src/ramp-webhooks/', why: 'Ramp webhook subscription per connection, receiver checks, event worker' },
  { name: 'accounting', path: '^src/accounting/', why: 'the accounting loop with Ramp: chart of accounts up (jobs, backups, migrations), ready feed, status back' },
  { name: 'http', path: '^src/http/', why: 'Fastify app: auth, validation, routes that translate HTTP to services' },
  { name: 'web', path: '^src/web/[^/]+$', why: 'serves the page' },
  { name: 'composition', path: '^src/(features|server)\\.ts$', why: 'assembles services, routes and jobs for a process' },
  { name: 'cli', path: '^src/cli/', why: 'the ramp-connect command' },
  { name: 'client', path: '^src/client/', why: 'the typed client for product teams and its generator' },
];

/** Domain folders: they never import http, cli or web. */
const DOMAIN = ['vault', 'audit', 'tenancy', 'auth', 'oauth', 'ramp', 'events', 'connections', 'tokens', 'sync', 'ramp-webhooks', 'accounting'];

module.exports = { LAYERS, DOMAIN };
