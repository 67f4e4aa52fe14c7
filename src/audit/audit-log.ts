/**
 * @module The append-only audit log: who did what to which business, with what outcome. Never holds a
 * secret: `detail` is a short plain sentence or a code.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export interface AuditEntry {
  readonly businessId: string | null;
  readonly actorTokenId: string | null;
  readonly action: string;
  readonly outcome: 'success' | 'failure' | 'denied' | 'partial';
  readonly requestId?: string | null;
  readonly target?: string | null;
  readonly detail?: string | null;
}

export async function audit(db: Kysely<Database>, entry: AuditEntry, now = Date.now()): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      business_id: entry.businessId,
      actor_token_id: entry.actorTokenId,
      action: entry.action,
      outcome: entry.outcome,
      request_id: entry.requestId ?? null,
      target: entry.target ?? null,
      detail: entry.detail ?? null,
      created_at: now,
    })
    .execute();
}
