/**
 * @module The product's `RampSyncConfigUpdate` (ramp-and-dayzero-api.md A2): what to sync and how often.
 * Stored as JSON per business; PUT is a partial update.
 */
import { Type, type Static } from 'typebox';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { Nullable } from '../core/schemas.ts';

const Ids = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 });

export const SyncConfigUpdate = Type.Object(
  {
    sync_enabled: Type.Optional(Type.Boolean()),
    auto_sync_enabled: Type.Optional(Type.Boolean()),
    auto_sync_interval_hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 168 })),
    sync_from_date: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
    sync_to_date: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
    sync_transactions: Type.Optional(Type.Boolean()),
    sync_reimbursements: Type.Optional(Type.Boolean()),
    sync_bills: Type.Optional(Type.Boolean()),
    sync_transfers: Type.Optional(Type.Boolean()),
    sync_cashbacks: Type.Optional(Type.Boolean()),
    sync_bill_payments: Type.Optional(Type.Boolean()),
    sync_statements: Type.Optional(Type.Boolean()),
    sync_card_ids: Type.Optional(Nullable(Ids)),
    sync_user_ids: Type.Optional(Nullable(Ids)),
    sync_department_ids: Type.Optional(Nullable(Ids)),
  },
  { $id: 'RampSyncConfigUpdate' },
);
export type SyncConfigUpdate = Static<typeof SyncConfigUpdate>;

export interface SyncConfig {
  sync_enabled: boolean;
  auto_sync_enabled: boolean;
  auto_sync_interval_hours: number;
  sync_from_date: string | null;
  sync_to_date: string | null;
  sync_transactions: boolean;
  sync_reimbursements: boolean;
  sync_bills: boolean;
  sync_transfers: boolean;
  sync_cashbacks: boolean;
  sync_bill_payments: boolean;
  sync_statements: boolean;
  sync_card_ids: string[] | null;
  sync_user_ids: string[] | null;
  sync_department_ids: string[] | null;
}

export const DEFAULT_SYNC_CONFIG: Readonly<SyncConfig> = Object.freeze({
  sync_enabled: true,
  auto_sync_enabled: false,
  auto_sync_interval_hours: 24,
  sync_from_date: null,
  sync_to_date: null,
  sync_transactions: true,
  sync_reimbursements: true,
  sync_bills: true,
  sync_transfers: false,
  sync_cashbacks: false,
  sync_bill_payments: false,
  sync_statements: false,
  sync_card_ids: null,
  sync_user_ids: null,
  sync_department_ids: null,
});

export async function getSyncConfig(db: Kysely<Database>, businessId: string): Promise<SyncConfig> {
  const row = await db.selectFrom('ramp_sync_configs').select('config').where('business_id', '=', businessId).executeTakeFirst();
  return { ...DEFAULT_SYNC_CONFIG, ...(row ? (JSON.parse(row.config) as Partial<SyncConfig>) : {}) };
}

/** Applies a partial update and schedules the next automatic sync when auto sync is on. */
export async function updateSyncConfig(db: Kysely<Database>, businessId: string, update: SyncConfigUpdate, now: number): Promise<SyncConfig> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('ramp_sync_configs').select('config').where('business_id', '=', businessId).executeTakeFirst();
    const current = { ...DEFAULT_SYNC_CONFIG, ...(row ? (JSON.parse(row.config) as Partial<SyncConfig>) : {}) };
    const next: SyncConfig = { ...current };
    for (const [key, value] of Object.entries(update)) if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
    const nextAuto = next.sync_enabled && next.auto_sync_enabled ? now + next.auto_sync_interval_hours * 3_600_000 : null;
    const values = { config: JSON.stringify(next), next_auto_sync_at: nextAuto, updated_at: now };
    if (row) await trx.updateTable('ramp_sync_configs').set(values).where('business_id', '=', businessId).execute();
    else await trx.insertInto('ramp_sync_configs').values({ business_id: businessId, ...values }).execute();
    return next;
  });
}
