/** @module Bench fixtures: a tenant written straight into the server's database, and its Ramp connection made over HTTP. */
import { createApiToken } from '../../src/auth/api-tokens-repo.ts';
import type { Db } from '../../src/db/database.ts';
import { createBusiness, createUserWithMembership } from '../../src/tenancy/tenancy-repo.ts';

export async function benchTenant(db: Db, permissions: string[] = []): Promise<{ businessId: string; headers: Record<string, string> }> {
  const business = await createBusiness(db.kysely, { name: `bench ${Date.now()}` });
  const user = await createUserWithMembership(db.kysely, { email: `bench-${business.id}@example.com`, businessId: business.id, role: 'owner' });
  const { token } = await createApiToken(db, { userId: user.id, name: 'bench', permissions });
  return { businessId: business.id, headers: { authorization: `Bearer ${token}`, 'x-business-id': business.id } };
}

/** POSTs a JSON body. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** Creates a client-credentials app on the emulator and connects the tenant with it through our server. */
export async function connectWithEmulatorApp(serverUrl: string, emulatorUrl: string, tenantHeaders: Record<string, string>, scopes?: readonly string[]): Promise<void> {
  const app = (await (await postJson(`${emulatorUrl}/__emulator/apps`, { grant_types: ['client_credentials'] })).json()) as { client_id: string; client_secret: string };
  const connected = await postJson(`${serverUrl}/api/v1/ramp/connect-with-credentials`, { client_id: app.client_id, client_secret: app.client_secret, ...(scopes ? { scopes } : {}) }, tenantHeaders);
  if (connected.status !== 201) throw new Error(`connect failed: ${connected.status} ${await connected.text()}`);
}
