/**
 * @module Writes to the chart of accounts (Ramp's document, `accounting/accounts|vendors|fields|field-options`):
 * batch uploads (POST, 1..500 items, all-or-nothing), PATCH by `ramp_id`, DELETE (deactivates; PATCH
 * `reactivate: true` brings it back). All need `accounting:write` and an active API connection
 * (`accounting-guard.ts`).
 *
 * All-or-nothing: the whole body is checked before anything is stored. Shape problems → 422
 * DEVELOPER_7001 naming each item's field (`gl_accounts.3.name`); items that clash with the chart
 * (an ERP id already on Ramp, or twice in the batch) → 400 INVALID_INPUT naming each such item.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccountingField, AccountingFieldOption, AccountingVendor, GlAccount } from '../data/accounting.ts';
import { fieldOptionView } from '../data/accounting.ts';
import type { AccountingChart } from '../data/accounting-book.ts';
import { formatRampTime } from '../data/models.ts';
import type { BusinessData, RampKeyed } from '../data/store.ts';
import type { ObjectTable } from '../data/table.ts';
import { RAMP_ERROR_CODES, RampApiError } from '../errors.ts';
import { newUuid } from '../ids.ts';
import { directConnectionRefusal, noActiveConnection, writableConnection } from './accounting-guard.ts';
import { BodyProblems, checkBatch, checkObject, type Rules } from './body-rules.ts';

export const MAX_UPLOAD_ITEMS = 500;
const CLASSIFICATIONS = ['ANY', 'ASSET', 'CREDCARD', 'EQUITY', 'EXPENSE', 'LIABILITY', 'REVENUE', 'UNKNOWN'] as const;
const INPUT_TYPES = ['BOOLEAN', 'FREE_FORM_TEXT', 'SINGLE_CHOICE'] as const;
const REQUIRED_FOR = ['BILL', 'BILL_PAYMENT', 'PURCHASE_ORDER', 'REIMBURSEMENT', 'TRANSACTION'] as const;

const GL_ACCOUNT_RULES: Rules = {
  id: { kind: 'string', required: true, nonEmpty: true },
  name: { kind: 'string', required: true, nonEmpty: true },
  classification: { kind: 'enum', values: CLASSIFICATIONS, required: true },
  code: { kind: 'string' },
};
const VENDOR_RULES: Rules = { id: { kind: 'string', required: true, nonEmpty: true }, name: { kind: 'string', required: true, nonEmpty: true } };
const OPTION_RULES: Rules = { id: { kind: 'string', required: true, nonEmpty: true }, value: { kind: 'string', required: true, nonEmpty: true }, code: { kind: 'string' } };
const FIELD_CREATE_RULES: Rules = {
  id: { kind: 'string', required: true, nonEmpty: true },
  name: { kind: 'string', required: true, nonEmpty: true },
  input_type: { kind: 'enum', values: INPUT_TYPES, required: true },
  display_name: { kind: 'string', nullable: true },
  is_required_for: { kind: 'enumList', values: REQUIRED_FOR },
  is_splittable: { kind: 'boolean' },
};
const RENAME_RULES: Rules = { code: { kind: 'string' }, name: { kind: 'string', nonEmpty: true }, reactivate: { kind: 'enum', values: [true] } };
const FIELD_PATCH_RULES: Rules = { display_name: { kind: 'string', nullable: true }, is_splittable: { kind: 'boolean' }, name: { kind: 'string', nonEmpty: true } };
const OPTION_PATCH_RULES: Rules = {
  code: { kind: 'string' },
  display_name: { kind: 'string', nonEmpty: true },
  reactivate: { kind: 'enum', values: [true] },
  value: { kind: 'string', nonEmpty: true },
  visibility: { kind: 'enum', values: ['HIDDEN', 'VISIBLE'] },
};
/** Ramp's document marks these option fields "Available to all", i.e. also under a direct connection. */
const OPTION_FIELDS_OPEN_TO_DIRECT = new Set(['display_name', 'visibility']);

type Authorize = (request: FastifyRequest, scope: string) => BusinessData;
type Now = () => number;

/** Refuses a batch whose items clash with each other or with what the chart already holds. */
function refuseClashes(listName: string, items: readonly Record<string, unknown>[], existing: ReadonlySet<string>, what: string): void {
  const seen = new Set<string>();
  const clashes: string[] = [];
  items.forEach((item, index) => {
    const id = item.id as string;
    if (existing.has(id)) clashes.push(`${listName}[${index}] (id "${id}"): a ${what} with this id already exists on Ramp (use PATCH to change it)`);
    else if (seen.has(id)) clashes.push(`${listName}[${index}] (id "${id}"): the id appears more than once in this batch`);
    seen.add(id);
  });
  if (clashes.length === 0) return;
  const shown = clashes.slice(0, 20).join('; ');
  throw new RampApiError(400, RAMP_ERROR_CODES.invalidInput, `Batch refused, nothing was uploaded: ${shown}${clashes.length > 20 ? `; and ${clashes.length - 20} more` : ''}`);
}

function remoteIds<T extends { id: string }>(table: ObjectTable<RampKeyed<T>>, keep: (value: T) => boolean = () => true): Set<string> {
  return new Set(table.all().filter((entry) => keep(entry.value)).map((entry) => entry.value.id));
}

function byRampIdOr404<T>(table: ObjectTable<RampKeyed<T>>, id: string, what: string): T {
  const entry = table.get(id.toLowerCase());
  if (!entry) throw new RampApiError(404, RAMP_ERROR_CODES.notFound, `No ${what} with id ${id}`);
  return entry.value;
}

/** `code: ""` resets the code (Ramp's document). */
function applyCode(target: { code?: string }, code: unknown): void {
  if (typeof code !== 'string') return;
  if (code === '') delete target.code;
  else target.code = code;
}

function parseBody(body: unknown, rules: Rules): Record<string, unknown> {
  const problems = new BodyProblems();
  const parsed = checkObject(body ?? {}, rules, problems);
  problems.throwIfAny();
  return parsed!;
}

export function registerAccountingChartRoutes(app: FastifyInstance, authorized: Authorize, now: Now): void {
  const write = (request: FastifyRequest, what: string): { data: BusinessData; chart: AccountingChart; at: string } => {
    const data = authorized(request, 'accounting:write');
    const record = writableConnection(data, what);
    return { data, chart: record.chart, at: formatRampTime(now()) };
  };

  // GL accounts.
  app.post('/developer/v1/accounting/accounts', async (request, reply) => {
    const { chart, at } = write(request, 'GL accounts');
    const problems = new BodyProblems();
    const body = isObjectBody(request.body, problems);
    const items = checkBatch(body, 'gl_accounts', MAX_UPLOAD_ITEMS, GL_ACCOUNT_RULES, problems);
    rejectUnknownTopLevel(body, ['gl_accounts'], problems);
    problems.throwIfAny();
    refuseClashes('gl_accounts', items, remoteIds(chart.accounts), 'GL account');
    const created: GlAccount[] = items.map((item) => ({
      ramp_id: newUuid(),
      id: item.id as string,
      ...(typeof item.code === 'string' && item.code !== '' ? { code: item.code } : {}),
      name: item.name as string,
      classification: item.classification as string,
      is_active: true,
      created_at: at,
      updated_at: at,
    }));
    chart.accounts.add(created.map((value) => ({ id: value.ramp_id, value })));
    return reply.code(201).send({ gl_accounts: created, uploaded: created.map((item) => item.ramp_id) });
  });
  app.patch<{ Params: { id: string } }>('/developer/v1/accounting/accounts/:id', async (request) => {
    const { chart, at } = write(request, 'GL accounts');
    const account = byRampIdOr404(chart.accounts, request.params.id, 'GL account');
    const body = parseBody(request.body, RENAME_RULES);
    if (typeof body.name === 'string') account.name = body.name;
    applyCode(account, body.code);
    if (body.reactivate === true) account.is_active = true;
    account.updated_at = at;
    return account;
  });
  app.delete<{ Params: { id: string } }>('/developer/v1/accounting/accounts/:id', async (request, reply) => {
    const { chart, at } = write(request, 'GL accounts');
    const account = byRampIdOr404(chart.accounts, request.params.id, 'GL account');
    Object.assign(account, { is_active: false, updated_at: at });
    return reply.code(204).send();
  });

  // Accounting vendors.
  app.post('/developer/v1/accounting/vendors', async (request, reply) => {
    const { chart, at } = write(request, 'accounting vendors');
    const problems = new BodyProblems();
    const body = isObjectBody(request.body, problems);
    const items = checkBatch(body, 'vendors', MAX_UPLOAD_ITEMS, VENDOR_RULES, problems);
    rejectUnknownTopLevel(body, ['vendors'], problems);
    problems.throwIfAny();
    refuseClashes('vendors', items, remoteIds(chart.vendors), 'vendor');
    const created: AccountingVendor[] = items.map((item) => ({
      ramp_id: newUuid(), id: item.id as string, name: item.name as string, is_active: true, is_synced: true, created_at: at, updated_at: at,
    }));
    chart.vendors.add(created.map((value) => ({ id: value.ramp_id, value })));
    return reply.code(201).send({ vendors: created, uploaded: created.map((item) => item.ramp_id) });
  });
  app.patch<{ Params: { id: string } }>('/developer/v1/accounting/vendors/:id', async (request) => {
    const { chart, at } = write(request, 'accounting vendors');
    const vendor = byRampIdOr404(chart.vendors, request.params.id, 'vendor');
    const body = parseBody(request.body, RENAME_RULES);
    if (typeof body.name === 'string') vendor.name = body.name;
    applyCode(vendor, body.code);
    if (body.reactivate === true) vendor.is_active = true;
    vendor.updated_at = at;
    return vendor;
  });
  app.delete<{ Params: { id: string } }>('/developer/v1/accounting/vendors/:id', async (request, reply) => {
    const { chart, at } = write(request, 'accounting vendors');
    Object.assign(byRampIdOr404(chart.vendors, request.params.id, 'vendor'), { is_active: false, updated_at: at });
    return reply.code(204).send();
  });

  // Custom fields: one per call; an existing ERP id answers the existing field, reactivated.
  app.post('/developer/v1/accounting/fields', async (request, reply) => {
    const { chart, at } = write(request, 'custom accounting fields');
    const body = parseBody(request.body, FIELD_CREATE_RULES);
    const existing = chart.fields.all().find((entry) => entry.value.id === body.id);
    if (existing) {
      if (!existing.value.is_active) Object.assign(existing.value, { is_active: true, updated_at: at });
      return reply.code(201).send(existing.value);
    }
    const field: AccountingField = {
      ramp_id: newUuid(),
      id: body.id as string,
      name: body.name as string,
      display_name: body.display_name === undefined ? (body.name as string) : (body.display_name as string | null),
      input_type: body.input_type as AccountingField['input_type'],
      is_active: true,
      is_required_for: (body.is_required_for as string[] | undefined) ?? [],
      is_splittable: (body.is_splittable as boolean | undefined) ?? false,
      created_at: at,
      updated_at: at,
    };
    chart.fields.add([{ id: field.ramp_id, value: field }]);
    return reply.code(201).send(field);
  });
  app.patch<{ Params: { id: string } }>('/developer/v1/accounting/fields/:id', async (request) => {
    const { chart, at } = write(request, 'custom accounting fields');
    const field = byRampIdOr404(chart.fields, request.params.id, 'custom field');
    const body = parseBody(request.body, FIELD_PATCH_RULES);
    if (body.name !== undefined) field.name = body.name as string;
    if (body.display_name !== undefined) field.display_name = body.display_name as string | null;
    if (body.is_splittable !== undefined) field.is_splittable = body.is_splittable as boolean;
    field.updated_at = at;
    return field;
  });
  app.delete<{ Params: { id: string } }>('/developer/v1/accounting/fields/:id', async (request, reply) => {
    const { chart, at } = write(request, 'custom accounting fields');
    Object.assign(byRampIdOr404(chart.fields, request.params.id, 'custom field'), { is_active: false, updated_at: at });
    return reply.code(204).send();
  });

  // Custom field options.
  app.post('/developer/v1/accounting/field-options', async (request, reply) => {
    const { chart, at } = write(request, 'custom field options');
    const problems = new BodyProblems();
    const body = isObjectBody(request.body, problems);
    if (body) checkObject({ field_id: body.field_id }, { field_id: { kind: 'uuid', required: true } }, problems);
    const items = checkBatch(body, 'options', MAX_UPLOAD_ITEMS, OPTION_RULES, problems);
    rejectUnknownTopLevel(body, ['field_id', 'options'], problems);
    problems.throwIfAny();
    const fieldId = (body!.field_id as string).toLowerCase();
    const field = chart.fields.get(fieldId)?.value;
    if (!field) throw new RampApiError(400, RAMP_ERROR_CODES.invalidInput, `No custom accounting field with id ${fieldId} on the active connection`);
    if (field.input_type !== 'SINGLE_CHOICE') throw new RampApiError(400, RAMP_ERROR_CODES.invalidInput, `Custom field ${fieldId} is ${field.input_type}: only SINGLE_CHOICE fields have options`);
    refuseClashes('options', items, remoteIds(chart.options, (option) => option.field_ramp_id === fieldId), 'field option');
    const created: AccountingFieldOption[] = items.map((item) => ({
      ramp_id: newUuid(),
      id: item.id as string,
      field_ramp_id: fieldId,
      value: item.value as string,
      display_name: item.value as string,
      ...(typeof item.code === 'string' && item.code !== '' ? { code: item.code } : {}),
      is_active: true,
      visibility: 'VISIBLE',
      created_at: at,
      updated_at: at,
    }));
    chart.options.add(created.map((value) => ({ id: value.ramp_id, value })));
    return reply.code(201).send({ options: created.map(fieldOptionView), uploaded: created.map((item) => item.ramp_id) });
  });
  app.patch<{ Params: { id: string } }>('/developer/v1/accounting/field-options/:id', async (request) => {
    const data = authorized(request, 'accounting:write');
    const active = data.accounting.active;
    if (!active) throw noActiveConnection();
    const option = byRampIdOr404(active.chart.options, request.params.id, 'field option');
    const body = parseBody(request.body, OPTION_PATCH_RULES);
    const closed = Object.keys(body).filter((key) => !OPTION_FIELDS_OPEN_TO_DIRECT.has(key));
    if (active.kind === 'direct' && closed.length > 0) throw directConnectionRefusal(active, `field options' ${closed.join(', ')}`);
    if (body.value !== undefined) option.value = body.value as string;
    if (body.display_name !== undefined) option.display_name = body.display_name as string;
    if (body.visibility !== undefined) option.visibility = body.visibility as AccountingFieldOption['visibility'];
    applyCode(option, body.code);
    if (body.reactivate === true) option.is_active = true;
    option.updated_at = formatRampTime(now());
    return fieldOptionView(option);
  });
  app.delete<{ Params: { id: string } }>('/developer/v1/accounting/field-options/:id', async (request, reply) => {
    const { chart, at } = write(request, 'custom field options');
    Object.assign(byRampIdOr404(chart.options, request.params.id, 'field option'), { is_active: false, updated_at: at });
    return reply.code(204).send();
  });
}

function isObjectBody(body: unknown, problems: BodyProblems): Record<string, unknown> | undefined {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
  problems.add('_schema', 'Invalid input type.');
  return undefined;
}

function rejectUnknownTopLevel(body: Record<string, unknown> | undefined, known: readonly string[], problems: BodyProblems): void {
  if (!body) return;
  for (const key of Object.keys(body)) if (!known.includes(key)) problems.add(key, 'Unknown field.');
}
