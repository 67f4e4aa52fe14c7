/**
 * @module Record changes are logged by the database: an `AFTER UPDATE` trigger on `ramp_records`
 * appends a `ramp_record_changes` row when `state` or `amount_cents` differs (e.g. PENDING → CLEARED).
 *
 * Why a trigger: the page commit no longer reads a page's stored rows before writing them. The upsert
 * rewrites a record only when its hash differs (`DO UPDATE … WHERE`), and OLD/NEW here are exactly the
 * stored and incoming values. The read it replaces was the costliest statement of a PostgreSQL sync:
 * on statistics that predate a bulk load the planner answers it by scanning the business's records
 * (issue #6 notes). Both dialects fire UPDATE triggers for an upsert's DO UPDATE branch
 * (sqlite.org/lang_upsert.html; PostgreSQL "INSERT … ON CONFLICT", triggers).
 * One trigger per dialect, state before amount, so the log's order is the same on both.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

const COLUMNS = 'business_id, resource, record_id, sync_id, field, old_value, new_value, changed_at';

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') {
    await sql
      .raw(
        `create trigger ramp_records_log_changes after update on ramp_records for each row begin
          insert into ramp_record_changes (${COLUMNS})
            select new.business_id, new.resource, new.id, new.last_sync_id, 'state', old.state, new.state, new.updated_at
            where old.state is not new.state;
          insert into ramp_record_changes (${COLUMNS})
            select new.business_id, new.resource, new.id, new.last_sync_id, 'amount_cents', cast(old.amount_cents as text), cast(new.amount_cents as text), new.updated_at
            where old.amount_cents is not new.amount_cents;
        end`,
      )
      .execute(db);
    return;
  }
  await sql
    .raw(
      `create function ramp_records_log_changes() returns trigger language plpgsql as $$
      begin
        if old.state is distinct from new.state then
          insert into ramp_record_changes (${COLUMNS})
            values (new.business_id, new.resource, new.id, new.last_sync_id, 'state', old.state, new.state, new.updated_at);
        end if;
        if old.amount_cents is distinct from new.amount_cents then
          insert into ramp_record_changes (${COLUMNS})
            values (new.business_id, new.resource, new.id, new.last_sync_id, 'amount_cents', old.amount_cents::text, new.amount_cents::text, new.updated_at);
        end if;
        return null;
      end $$`,
    )
    .execute(db);
  await sql.raw('create trigger ramp_records_log_changes after update on ramp_records for each row execute function ramp_records_log_changes()').execute(db);
}
