/**
 * @module The product's `RampSyncConfigUpdate` (docs/ramp-behaviour.md#product-api): what to sync and how often.
 * Stored as JSON per business; PUT is a partial update.
 */
import { Type, type Static } from 'typebox';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { ApiError } from '../core/errors.ts';
import { Nullable } from '../core/schemas.ts';
import { syncFlagDefaults, timeOf } from '../ramp/resource-descriptors.ts';

const Ids = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 });

/** The one description of the configuration's shape: the stored and returned view, and (all optional) the update. */
const SyncConfigFields = {
  sync_enabled: Type.Boolean(),
  auto_sync_enabled: Type.Boolean(),
  auto_sync_interval_hours: Type.Integer({ minimum: 1, maximum: 168 }),
  sync_from_date: Nullable(Type.String({ format: 'date-time' })),
  sync_to_date: Nullable(Type.String({ format: 'date-time' })),
  sync_transactions: Type.Boolean(),
  sync_reimbursements: Type.Boolean(),
  sync_bills: Type.Boolean(),
  sync_transfers: Type.Boolean(),
  sync_cashbacks: Type.Boolean(),
  sync_bill_payments: Type.Boolean(),
  sync_statements: Type.Boolean(),
  sync_card_ids: Nullable(Ids),
  sync_user_ids: Nullable(Ids),
  sync_department_ids: Nullable(Ids),
};

export const SyncConfigView = Type.Object(SyncConfigFields, { $id: 'RampSyncConfig' });
export type SyncConfig = Static<typeof SyncConfigView>;

export const SyncConfigUpdate = Type.Partial(Type.Object(SyncConfigFields), { $id: 'RampSyncConfigUpdate' });
export type SyncConfigUpdate = Static<typeof SyncConfigUpdate>;

export const DEFAULT_SYNC_CONFIG: Readonly<SyncConfig> = Object.freeze({
  sync_enabled: true,
  auto_sync_enabled: false,
  auto_sync_interval_hours: 24,
  sync_from_date: null,
  sync_to_date: null,
  // The resource flags' defaults come from the resource table (src/ramp/resource-descriptors.ts).
  ...syncFlagDefaults(),
  sync_card_ids: null,
  sync_user_ids: null,
  sync_department_ids: null,
});

/**
 * The window's bounds as RFC 3339 with a zone. Like pydantic, the update accepts a bare date (midnight)
 * and a date-time without an offset; those are UTC, as Ramp reads dates without one
 * (docs/ramp-behaviour.md#money-and-dates). Stored as given they were answered as not a date-time (a 500
 * on every later GET) and read in the server's local zone by `Date.parse`.
 */
export function zonedDateTime(value: string): string {
  // The zone is looked for after the date (a bare date's own `-01` is not one).
  return /(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$/.test(value.slice(10)) ? value : new Date(timeOf(value)).toISOString();
}

function withZonedWindow<T extends Partial<SyncConfig>>(config: T): T {
  const zoned = { ...config };
  for (const key of ['sync_from_date', 'sync_to_date'] as const) {
    const value = zoned[key];
    if (typeof value === 'string') zoned[key] = zonedDateTime(value);
  }
  return zoned;
}

/** A stored configuration over the defaults; a window stored before zonedDateTime existed is read zoned. */
function storedConfig(text: string | undefined): SyncConfig {
  return { ...DEFAULT_SYNC_CONFIG, ...(text === undefined ? {} : withZonedWindow(JSON.parse(text) as Partial<SyncConfig>)) };
}

export async function getSyncConfig(db: Kysely<Database>, businessId: string): Promise<SyncConfig> {
  const row = await db.selectFrom('ramp_sync_configs').select('config').where('business_id', '=', businessId).executeTakeFirst();
  return storedConfig(row?.config);
}

/** Applies a partial update and schedules the next automatic sync when auto sync is on. */
export async function updateSyncConfig(db: Kysely<Database>, businessId: string, given: SyncConfigUpdate, now: number): Promise<SyncConfig> {
  const update = withZonedWindow(given);
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('ramp_sync_configs').select('config').where('business_id', '=', businessId).executeTakeFirst();
    const current = storedConfig(row?.config);
    const next: SyncConfig = { ...current };
    for (const [key, value] of Object.entries(update)) if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
    // Judged on the result: a new start after the stored end is as backwards as both given at once.
    if (next.sync_from_date && next.sync_to_date && Date.parse(next.sync_from_date) > Date.parse(next.sync_to_date)) {
      throw new ApiError('invalid_request', 'sync_from_date must not be after sync_to_date');
    }
    const nextAuto = next.sync_enabled && next.auto_sync_enabled ? now + next.auto_sync_interval_hours * 3_600_000 : null;
    const values = { config: JSON.stringify(next), next_auto_sync_at: nextAuto, updated_at: now };
    if (row) await trx.updateTable('ramp_sync_configs').set(values).where('business_id', '=', businessId).execute();
    else await trx.insertInto('ramp_sync_configs').values({ business_id: businessId, ...values }).execute();
    return next;
  });
}
