/**
 * @module The business's accounting setup as Ramp mirrors it from the ERP: general-ledger accounts
 * (`GeneralLedgerAccount`), custom accounting fields and their options (`ApiAccountingCustomFieldResource`,
 * `CustomFieldOption`), ERP vendors (`VendorAccount`) and the connection (`AccountingProvider`).
 *
 * Ramp's own id is `ramp_id` (a UUID); `id` is the ERP's remote id (any string). Lists and by-id
 * routes use `ramp_id`.
 */
import type { Vendor } from './models.ts';
import { formatRampTime } from './models.ts';
import { derivedUuid } from './prng.ts';
import type { ObjectTable } from './table.ts';

/** An accounting object filed under its Ramp id (`ramp_id`); its own `id` is the ERP's. */
export interface RampKeyed<T> {
  readonly id: string;
  readonly value: T;
}

export interface GlAccount {
  ramp_id: string;
  id: string;
  code?: string;
  name: string;
  classification: string | null;
  is_active: boolean;
  created_at: string;
  updated_at: string;
}

export interface AccountingField {
  ramp_id: string;
  id: string;
  name: string;
  display_name: string | null;
  input_type: 'SINGLE_CHOICE' | 'FREE_FORM_TEXT' | 'BOOLEAN';
  is_active: boolean;
  is_required_for: string[];
  is_splittable: boolean;
  created_at: string;
  updated_at: string;
}

export interface AccountingFieldOption {
  ramp_id: string;
  id: string;
  field_ramp_id: string;
  value: string;
  display_name: string;
  code?: string;
  is_active: boolean;
  visibility: 'VISIBLE' | 'HIDDEN';
  created_at: string;
  updated_at: string;
}

export interface AccountingVendor {
  ramp_id: string;
  id: string;
  code?: string;
  name: string;
  is_active: boolean;
  is_synced: boolean;
  created_at: string;
  updated_at: string;
}

export interface AccountingConnection {
  id: string;
  remote_provider_name: string | null;
  status: 'linked' | 'unlinked' | 'revoked' | 'failed_to_auth';
  is_active: boolean;
  created_at: string;
  last_linked_at: string | null;
}

const GL_ACCOUNTS: readonly [code: string | null, name: string, classification: string | null][] = [
  ['6000', 'Advertising & Marketing', 'EXPENSE'], ['6100', 'Software & SaaS', 'EXPENSE'], ['6200', 'Travel', 'EXPENSE'],
  ['6210', 'Meals & Entertainment', 'EXPENSE'], ['6300', 'Office Supplies', 'EXPENSE'], ['6400', 'Rent', 'EXPENSE'],
  ['6500', 'Shipping & Postage', 'EXPENSE'], ['6600', 'Professional Services', 'EXPENSE'], ['2100', 'Ramp Card Liability', 'LIABILITY'],
  ['1000', 'Operating Checking', 'ASSET'], ['4900', 'Cashback Income', 'REVENUE'], [null, 'Uncategorised (legacy)', null],
];

const FIELDS: readonly { name: string; input: AccountingField['input_type']; options: string[]; requiredFor: string[] }[] = [
  { name: 'Class', input: 'SINGLE_CHOICE', options: ['Operations', 'R&D', 'Sales & Marketing', 'G&A'], requiredFor: ['TRANSACTION', 'REIMBURSEMENT'] },
  { name: 'Project', input: 'SINGLE_CHOICE', options: ['Apollo', 'Gemini', 'Mercury'], requiredFor: [] },
  { name: 'Billable', input: 'BOOLEAN', options: [], requiredFor: [] },
  { name: 'Note to auditor', input: 'FREE_FORM_TEXT', options: [], requiredFor: ['BILL'] },
];

/** The seed's connection is an API connection (made through `POST /accounting/connection`), so its chart is writable. */
export const SEEDED_PROVIDER_NAME = 'Ramp Connect';

export interface AccountingSetup {
  accounts: GlAccount[];
  fields: AccountingField[];
  options: AccountingFieldOption[];
  vendors: AccountingVendor[];
  connection: AccountingConnection;
}

/**
 * `salt` tells apart the charts of several connections of one business (the seed's has none);
 * `providerName` is the connection's `remote_provider_name`.
 */
export function generateAccountingSetup(businessId: string, seed: number, vendors: ObjectTable<Vendor>, anchorMs: number, salt = '', providerName = SEEDED_PROVIDER_NAME): AccountingSetup {
  const id = (label: string): string => derivedUuid(`${businessId}:${seed}:accounting:${salt}${label}`);
  const created = formatRampTime(anchorMs - 400 * 86_400_000);
  const updated = formatRampTime(anchorMs - 30 * 86_400_000);
  const accounts = GL_ACCOUNTS.map(([code, name, classification], i) => ({
    ramp_id: id(`gl:${i}`),
    id: `QBO-${80 + i}`,
    ...(code === null ? {} : { code }),
    name,
    classification,
    is_active: code !== null,
    created_at: created,
    updated_at: updated,
  }));
  const fields: AccountingField[] = [];
  const options: AccountingFieldOption[] = [];
  FIELDS.forEach((field, f) => {
    const fieldRampId = id(`field:${f}`);
    fields.push({
      ramp_id: fieldRampId,
      id: `FIELD-${f + 1}`,
      name: field.name,
      display_name: f === 3 ? null : field.name,
      input_type: field.input,
      is_active: true,
      is_required_for: field.requiredFor,
      is_splittable: f === 0,
      created_at: created,
      updated_at: updated,
    });
    field.options.forEach((value, o) => {
      options.push({
        ramp_id: id(`option:${f}:${o}`),
        id: `OPT-${f + 1}-${o + 1}`,
        field_ramp_id: fieldRampId,
        value,
        display_name: value,
        ...(o % 2 === 0 ? { code: `${f + 1}${o + 1}` } : {}),
        is_active: o !== field.options.length - 1 || f !== 0,
        visibility: o === 2 && f === 1 ? 'HIDDEN' : 'VISIBLE',
        created_at: created,
        updated_at: updated,
      });
    });
  });
  const erpVendors: AccountingVendor[] = [];
  vendors.all().forEach((vendor, i) => {
    if (vendor.accounting_vendor_remote_id === null) return;
    erpVendors.push({
      ramp_id: id(`vendor:${vendor.id}`),
      id: vendor.accounting_vendor_remote_id,
      ...(i % 2 === 0 ? { code: `V${String(i + 1).padStart(4, '0')}` } : {}),
      name: vendor.name,
      is_active: i % 7 !== 6,
      is_synced: i % 5 !== 4,
      created_at: created,
      updated_at: updated,
    });
  });
  const connection: AccountingConnection = {
    id: id('connection'),
    remote_provider_name: providerName,
    status: 'linked',
    is_active: true,
    created_at: created,
    last_linked_at: updated,
  };
  return { accounts, fields, options, vendors: erpVendors, connection };
}

/** The wire form of the field options: the internal link to the field is not part of Ramp's object. */
export function fieldOptionView(option: AccountingFieldOption): Record<string, unknown> {
  const { field_ramp_id: _field, ...wire } = option;
  return wire;
}
