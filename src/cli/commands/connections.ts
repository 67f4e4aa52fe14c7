/** @module `connections list`: every Ramp connection with its health; never a secret. */
import { printResult } from '../output.ts';
import type { CommandInput } from './command.ts';
import { withDb } from './with-db.ts';

export async function connectionsList({ flags, config }: CommandInput): Promise<void> {
  const rows = await withDb(config, (db) =>
    db.kysely
      .selectFrom('ramp_connections')
      .innerJoin('businesses', 'businesses.id', 'ramp_connections.business_id')
      .select([
        'ramp_connections.id',
        'ramp_connections.business_id',
        'businesses.name as business_name',
        'ramp_connections.auth_method',
        'ramp_connections.environment',
        'ramp_connections.status',
        'ramp_connections.status_reason',
        'ramp_connections.access_token_expires_at',
        'ramp_connections.last_refreshed_at',
        'ramp_connections.last_error',
      ])
      .orderBy('businesses.name')
      .execute(),
  );
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  printResult(
    rows.map((r) => ({ ...r, access_token_expires_at: iso(r.access_token_expires_at), last_refreshed_at: iso(r.last_refreshed_at) })),
    flags,
  );
}
