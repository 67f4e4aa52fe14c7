/**
 * @module Named (server-side prepared) statements for PostgreSQL's bulk SQL.
 *
 * Kysely sends every query as an unnamed statement, which PostgreSQL parses and plans on each call.
 * For the sync's 200-row upsert (3,000 parameters) that parse is a third of the statement's cost:
 * 20,000 rows took 1.54–1.74 s unnamed, 1.19 s named (issue #6 notes). Texts registered here are sent
 * by name instead, so each pooled connection parses them once (PostgreSQL "PREPARE"; node-postgres
 * "Prepared Statements"). Only a few fixed texts are registered, keeping each connection's cache small.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

const names = new Map<string, string>();

/** Registers `text` to be sent as a named statement on PostgreSQL; returns the text unchanged. */
export function namedStatement(text: string): string {
  if (!names.has(text)) names.set(text, `rc_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`);
  return text;
}

type Query = (config: unknown, values?: unknown) => Promise<unknown>;

/** A pool whose clients send registered texts by name (everything else as Kysely sent it). */
export function withNamedStatements(pool: pg.Pool): pg.Pool {
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  const wrap = (client: pg.PoolClient): pg.PoolClient => {
    const query = client.query.bind(client) as Query;
    return new Proxy(client, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
        return (config: unknown, values?: unknown) => {
          const name = typeof config === 'string' ? names.get(config) : undefined;
          return name === undefined ? query(config, values) : query({ name, text: config, values });
        };
      },
    });
  };
  // Kysely only calls `connect()` (and `end()` on destroy); the wrapper serves those two.
  return new Proxy(pool, {
    get(target, property, receiver) {
      if (property === 'connect') return async () => wrap(await connect());
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}
