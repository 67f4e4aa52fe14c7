/**
 * @module The audit log names what an action touched (`target`: the route's ids, e.g. a token or
 * webhook id) and becomes append-only in the database itself: a trigger refuses UPDATE and DELETE
 * (docs/guarantees.md#g35), so neither a bug nor a compromised replica can rewrite history
 * through the application's own connection.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema.alterTable('audit_log').addColumn('target', 'varchar(200)').execute();
  if (dialect === 'sqlite') {
    for (const event of ['update', 'delete']) {
      await sql.raw(`create trigger audit_log_append_only_${event} before ${event} on audit_log begin select raise(abort, 'audit_log is append-only'); end`).execute(db);
    }
    return;
  }
  await sql.raw(`create function audit_log_append_only() returns trigger language plpgsql as $$ begin raise exception 'audit_log is append-only'; end $$`).execute(db);
  await sql.raw('create trigger audit_log_append_only before update or delete on audit_log for each row execute function audit_log_append_only()').execute(db);
}
