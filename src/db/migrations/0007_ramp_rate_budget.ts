/**
 * @module One Ramp request budget per connection shared by every replica (PostgreSQL only: SQLite is
 * one process, whose in-memory limiter already sees every request; src/ramp/shared-rate-limiter.ts).
 *
 * `ramp_rate_windows` is the connection's lock row and its 429 lockout; `ramp_rate_slots` holds the
 * requests Ramp may still count: sent and not answered, or answered within the window. One function,
 * `ramp_rate_take`, admits a request in one round trip: it locks the window row (so replicas admit one
 * at a time per connection, and never two at a time past the limit), drops slots that left the window,
 * and inserts a slot if fewer than `limit` remain. Times come from the database's clock, so replicas'
 * clocks cannot disagree about a window.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') return;
  await db.schema
    .createTable('ramp_rate_windows')
    .addColumn('connection_id', 'varchar(36)', (c) => c.primaryKey().references('ramp_connections.id').onDelete('cascade'))
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('blocked_until', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('ramp_rate_slots')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('connection_id', 'varchar(36)', (c) => c.notNull().references('ramp_rate_windows.connection_id').onDelete('cascade'))
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .addColumn('answered_at', 'bigint')
    .execute();
  await db.schema.createIndex('ramp_rate_slots_connection_idx').on('ramp_rate_slots').column('connection_id').execute();
  // taken: a slot was inserted under p_slot. Otherwise wait_ms: how long until a slot may free up
  // (the lockout's end, or the oldest answer leaving the window), or -1 when every slot is in flight.
  // A slot never answered (its replica died) stops counting p_stale_ms after it was sent.
  await sql
    .raw(
      `create function ramp_rate_take(p_connection varchar, p_business varchar, p_slot varchar, p_limit integer, p_window_ms bigint, p_stale_ms bigint,
         out taken boolean, out blocked boolean, out wait_ms bigint) language plpgsql as $$
      declare
        v_now bigint;
        v_blocked bigint;
        v_count integer;
        v_oldest bigint;
      begin
        taken := false; blocked := false; wait_ms := -1;
        select blocked_until into v_blocked from ramp_rate_windows where connection_id = p_connection and business_id = p_business for update;
        if not found then
          insert into ramp_rate_windows (connection_id, business_id)
            select id, business_id from ramp_connections where id = p_connection and business_id = p_business
            on conflict (connection_id) do nothing;
          select blocked_until into v_blocked from ramp_rate_windows where connection_id = p_connection and business_id = p_business for update;
          -- The connection is gone: nothing to count; the call fails on its own.
          if not found then taken := true; return; end if;
        end if;
        -- Read the clock once the lock is ours, so slots are stamped in the order they were admitted.
        v_now := floor(extract(epoch from clock_timestamp()) * 1000)::bigint;
        if v_blocked > v_now then blocked := true; wait_ms := v_blocked - v_now; return; end if;
        delete from ramp_rate_slots where connection_id = p_connection and business_id = p_business
          and (answered_at <= v_now - p_window_ms or (answered_at is null and sent_at <= v_now - p_stale_ms));
        select count(*), min(answered_at) into v_count, v_oldest from ramp_rate_slots where connection_id = p_connection and business_id = p_business;
        if v_count < p_limit then
          insert into ramp_rate_slots (id, connection_id, business_id, sent_at) values (p_slot, p_connection, p_business, v_now);
          taken := true; wait_ms := 0; return;
        end if;
        if v_oldest is not null then wait_ms := v_oldest + p_window_ms - v_now + 1; end if;
      end $$`,
    )
    .execute(db);
}
