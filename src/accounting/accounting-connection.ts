/**
 * @module The business's accounting connection on Ramp: which one is active, whether its chart can
 * be written through the API, and what we last saw (shown by `GET /api/v1/ramp/status`).
 *
 * Ramp's `AccountingProvider` does not say whether a connection is direct (docs/ramp-behaviour.md#chart-of-accounts).
 * A direct connection refuses every chart write before looking at the object, so a PATCH of a GL
 * account that cannot exist (the nil UUID) tells the two apart by status alone: 404 when the chart
 * is writable, 400 when it is read-only. Nothing is written either way. A connection's kind never
 * changes (a direct one is linked only in Ramp's UI), so the answer is kept per connection id and the
 * probe is sent once per connection.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { activeConnectionCall, chartWriteCall, type AccountingProvider } from '../ramp/endpoints/accounting-chart.ts';
import type { RampClient } from '../ramp/ramp-client.ts';

const NO_SUCH_ACCOUNT = '00000000-0000-0000-0000-000000000000';

export function activeAccountingConnection(client: RampClient, businessId: string, signal?: AbortSignal): Promise<AccountingProvider | null> {
  return client.call(businessId, activeConnectionCall(), signal ? { signal } : {});
}

/** True when the active connection's chart accepts writes through the API (see the module comment). */
export async function chartIsWritable(client: RampClient, db: Kysely<Database>, businessId: string, connectionId: string, signal?: AbortSignal): Promise<boolean> {
  const seen = await db.selectFrom('accounting_connection_seen').select(['connection_id', 'writable']).where('business_id', '=', businessId).executeTakeFirst();
  if (seen && seen.connection_id === connectionId && seen.writable !== null) return Number(seen.writable) === 1;
  const answer = await client.call(businessId, chartWriteCall('PATCH', `accounts/${NO_SUCH_ACCOUNT}`, {}), signal ? { signal } : {});
  return answer.ok || answer.refusal.status === 404;
}

export interface SeenConnection {
  readonly connection_id: string;
  readonly remote_provider_name: string | null;
  /** `api`: the chart is writable; `direct`: read-only; `unknown`: not probed yet. */
  readonly kind: 'api' | 'direct' | 'unknown';
  readonly checked_at: string;
}

export async function recordSeenConnection(db: Kysely<Database>, businessId: string, provider: AccountingProvider | null, writable: boolean | null, now: number): Promise<void> {
  let known = writable === null ? null : writable ? 1 : 0;
  if (known === null && provider) {
    // A read that did not probe keeps what an earlier probe of the same connection found.
    const before = await db.selectFrom('accounting_connection_seen').select(['connection_id', 'writable']).where('business_id', '=', businessId).executeTakeFirst();
    if (before && before.connection_id === provider.id) known = before.writable === null ? null : Number(before.writable);
  }
  const values = {
    connection_id: provider?.id ?? null,
    remote_provider_name: provider?.remote_provider_name ?? null,
    writable: known,
    checked_at: now,
  };
  await db
    .insertInto('accounting_connection_seen')
    .values({ business_id: businessId, ...values })
    .onConflict((oc) => oc.column('business_id').doUpdateSet(values))
    .execute();
}

export async function seenConnection(db: Kysely<Database>, businessId: string): Promise<SeenConnection | null> {
  const row = await db.selectFrom('accounting_connection_seen').selectAll().where('business_id', '=', businessId).executeTakeFirst();
  if (!row || row.connection_id === null) return null;
  return {
    connection_id: row.connection_id,
    remote_provider_name: row.remote_provider_name,
    kind: row.writable === null ? 'unknown' : Number(row.writable) === 1 ? 'api' : 'direct',
    checked_at: new Date(Number(row.checked_at)).toISOString(),
  };
}
