/** @module Wire types of the chart-of-accounts routes (`/api/v1/ramp/accounting/chart…`, migrations). */
import { Type, type Static } from 'typebox';
import { Nullable } from '../../../core/schemas.ts';
import { CUSTOM_FIELD_INPUT_TYPES, CUSTOM_FIELD_REQUIRED_FOR, GL_ACCOUNT_CLASSIFICATIONS } from '../../../accounting/chart-model.ts';

const ProductId = Type.String({ minLength: 1, maxLength: 255, description: "The product's own id for the object: Ramp's `id` (the ERP's remote id)" });
const Name = Type.String({ minLength: 1, maxLength: 255 });
const Code = Type.String({ maxLength: 255, description: 'Empty or absent: no code' });

/** One of Ramp's values (chart-model.ts): a value outside them is a 422 naming the item, before any job starts. */
const OneOf = <T extends string>(values: readonly T[], description?: string) => Type.Union(values.map((value) => Type.Literal(value)), description === undefined ? {} : { description });

export const DesiredGlAccount = Type.Object(
  { id: ProductId, name: Name, classification: OneOf(GL_ACCOUNT_CLASSIFICATIONS), code: Type.Optional(Code) },
  { additionalProperties: false },
);
export const DesiredVendor = Type.Object({ id: ProductId, name: Name, code: Type.Optional(Code) }, { additionalProperties: false });
export const DesiredOption = Type.Object({ id: ProductId, value: Name, code: Type.Optional(Code) }, { additionalProperties: false });
export const DesiredField = Type.Object(
  {
    id: ProductId,
    name: Name,
    input_type: OneOf(CUSTOM_FIELD_INPUT_TYPES, 'Only SINGLE_CHOICE fields have options'),
    display_name: Type.Optional(Nullable(Name)),
    is_splittable: Type.Optional(Type.Boolean()),
    is_required_for: Type.Optional(Type.Array(OneOf(CUSTOM_FIELD_REQUIRED_FOR), { maxItems: 10 })),
    options: Type.Optional(Type.Array(DesiredOption, { maxItems: 50_000 })),
  },
  { additionalProperties: false },
);

export const DesiredChartBody = Type.Object(
  {
    gl_accounts: Type.Array(DesiredGlAccount, { maxItems: 50_000 }),
    vendors: Type.Array(DesiredVendor, { maxItems: 50_000 }),
    custom_fields: Type.Array(DesiredField, { maxItems: 200 }),
  },
  { $id: 'AccountingChartDesired', additionalProperties: false },
);
export type DesiredChartBody = Static<typeof DesiredChartBody>;

const AccountingConnection = Type.Object({
  id: Type.String(),
  remote_provider_name: Nullable(Type.String()),
  status: Type.String(),
  is_active: Type.Boolean(),
  created_at: Nullable(Type.String()),
  last_linked_at: Nullable(Type.String()),
});

const Counts = Type.Object({ gl_accounts: Type.Integer(), vendors: Type.Integer(), custom_fields: Type.Integer(), field_options: Type.Integer() });

const HeldBase = { ramp_id: Type.String(), id: Type.String(), is_active: Type.Boolean() };
export const HeldChartView = Type.Object(
  {
    connection: Nullable(AccountingConnection),
    counts: Counts,
    gl_accounts: Type.Array(Type.Object({ ...HeldBase, name: Type.String(), code: Nullable(Type.String()), classification: Nullable(Type.String()) })),
    vendors: Type.Array(Type.Object({ ...HeldBase, name: Type.String(), code: Nullable(Type.String()) })),
    custom_fields: Type.Array(
      Type.Object({
        ...HeldBase,
        name: Type.String(),
        display_name: Nullable(Type.String()),
        input_type: Type.String(),
        is_splittable: Type.Boolean(),
        is_required_for: Type.Array(Type.String()),
        options: Type.Array(Type.Object({ ...HeldBase, value: Type.String(), code: Nullable(Type.String()) })),
      }),
    ),
  },
  { $id: 'AccountingChart' },
);

const PlanCounts = Type.Object({ creates: Type.Integer(), updates: Type.Integer(), deletes: Type.Integer() });

export const ChartJobView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    kind: Type.Union([Type.Literal('upload'), Type.Literal('migration')]),
    status: Type.String({ description: 'queued | running | completed | partial | failed (partial: Ramp refused the items in `progress.refused`; the rest was written)' }),
    connection_id: Nullable(Type.String({ description: 'Upload: the accounting connection written to; migration: the one migrated away from' })),
    backup_id: Nullable(Type.String()),
    target_provider_name: Nullable(Type.String()),
    progress: Type.Object(
      {
        phase: Type.String({ description: 'queued | disconnecting | connecting | reading | writing | done' }),
        planned: PlanCounts,
        done: PlanCounts,
        ramp_calls: Type.Object({ reads: Type.Integer(), writes: Type.Integer() }),
        refused: Type.Array(
          Type.Object({
            kind: Type.String(),
            operation: Type.String(),
            field_id: Type.Optional(Type.String()),
            ramp_status: Type.Integer(),
            ramp_code: Nullable(Type.String()),
            message: Nullable(Type.String()),
            items: Type.Array(Type.Object({ id: Type.String(), problems: Type.Array(Type.String()) })),
          }),
          { description: 'Writes Ramp refused; a refused batch lists all its items (none was applied), each with the problems Ramp named for it' },
        ),
        unchangeable: Type.Array(Type.Object({ kind: Type.String(), id: Type.String(), problem: Type.String() })),
        new_connection_id: Nullable(Type.String()),
        runs: Type.Integer(),
      },
      { additionalProperties: true },
    ),
    error: Nullable(Type.Object({ code: Type.String(), detail: Type.String() })),
    created_at: Type.String({ format: 'date-time' }),
    started_at: Nullable(Type.String({ format: 'date-time' })),
    finished_at: Nullable(Type.String({ format: 'date-time' })),
  },
  { $id: 'AccountingChartJob' },
);

export const ChartJobIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export type ChartJobIdParams = Static<typeof ChartJobIdParams>;

export const ChartBackupView = Type.Object(
  { backup_id: Type.String({ format: 'uuid' }), connection_id: Type.String(), remote_provider_name: Nullable(Type.String()), counts: Counts, created_at: Type.String({ format: 'date-time' }) },
  { $id: 'AccountingChartBackup' },
);

export const MigrationBody = Type.Object(
  {
    backup_id: Type.Optional(Type.String({ format: 'uuid', description: 'A backup of the chart of the active accounting connection (POST …/chart/backups); required while one is active' })),
    remote_provider_name: Type.String({ minLength: 1, maxLength: 255, description: 'Name of the new accounting connection' }),
  },
  { $id: 'AccountingMigrationRequest', additionalProperties: false },
);
export type MigrationBody = Static<typeof MigrationBody>;
