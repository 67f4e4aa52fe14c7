/**
 * @module Wire shapes of the emulated Ramp resources (docs/ramp-behaviour.md#resources-and-scopes).
 *
 * Field names, nullability and optionality follow Ramp's OpenAPI document (`ramp-schemas/`): a
 * required field is always present, a nullable one may be `null`, an optional non-nullable one is
 * absent rather than `null`. Optional fields nobody reads are left out. Money: the legacy decimal `amount` is in
 * major units of the record's currency (`currency_code`, a reimbursement's `currency`), `CurrencyAmount` is
 * `{amount: integer minor units, currency_code}` (B7.1, monetary-values.mdx).
 */

export interface CurrencyAmount {
  amount: number;
  currency_code: string;
}

export interface BusinessProfile {
  id: string;
  business_name_legal: string;
  business_name_on_card: string;
  active: boolean;
  billing_address: { address1: string; address2: string | null; city: string; state: string; postal_code: string; country: string };
  created_time: string;
  initial_approved_limit: number;
  is_integrated_with_slack: boolean;
  is_reimbursements_enabled: boolean;
  limit_locked: boolean;
  phone: string;
  website: string;
  enforce_sso: boolean;
}

export interface Department {
  id: string;
  name: string;
}

export interface Location {
  id: string;
  name: string;
  entity_id?: string;
}

export interface User {
  id: string;
  business_id: string;
  first_name: string;
  last_name: string;
  email: string;
  role: 'BUSINESS_OWNER' | 'BUSINESS_ADMIN' | 'BUSINESS_BOOKKEEPER' | 'BUSINESS_USER';
  status: 'USER_ACTIVE' | 'INVITE_PENDING' | 'USER_SUSPENDED';
  department_id: string | null;
  location_id: string | null;
  entity_id: string;
  manager_id: string | null;
  is_manager: boolean;
  employee_id?: string;
  /** Optional and not nullable in Ramp's schema: absent when unknown. */
  phone?: string;
  custom_fields: { name: string; value: string }[];
}

export interface Card {
  id: string;
  display_name: string;
  last_four: string;
  expiration: string;
  cardholder_id: string;
  cardholder_name: string;
  card_program_id: string | null;
  has_program_overridden: boolean;
  is_physical: boolean;
  state: 'ACTIVE' | 'SUSPENDED' | 'TERMINATED' | 'UNACTIVATED';
  entity_id: string;
  created_at: string;
  spending_restrictions: Record<string, unknown>;
  fulfillment?: Record<string, unknown>;
}

export interface Vendor {
  id: string;
  name: string;
  is_active: boolean;
  is_deletable: boolean;
  country: string;
  created_at: string;
  sk_category_id: number;
  sk_category_name: string;
  merchant_id: string;
  accounting_vendor_remote_id: string | null;
  contacts: string[];
  vendor_type?: 'BUSINESS' | 'INDIVIDUAL';
  address?: Record<string, unknown>;
  total_spend_ytd: CurrencyAmount;
  total_spend_all_time: CurrencyAmount;
  total_spend_last_30_days: CurrencyAmount;
  total_spend_last_365_days: CurrencyAmount;
}

export interface VendorContact {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  is_default: boolean;
}

export type ReimbursementState = 'PENDING' | 'APPROVED' | 'REIMBURSED' | 'REJECTED' | 'CANCELED';
export const REIMBURSEMENT_STATES: readonly ReimbursementState[] = ['PENDING', 'APPROVED', 'REIMBURSED', 'REJECTED', 'CANCELED'];

/** One accounting field selection as Ramp attaches it to transactions and reimbursements. */
export interface FieldSelection {
  id: string;
  external_id: string;
  name: string;
  type: string;
  category_info: { id: string; external_id: string; name: string; type: string };
}

export interface Reimbursement {
  id: string;
  amount: number;
  currency: string;
  original_reimbursement_amount: CurrencyAmount;
  payee_amount: CurrencyAmount | null;
  state: ReimbursementState;
  type: 'OUT_OF_POCKET' | 'MILEAGE';
  direction: 'BUSINESS_TO_USER';
  merchant?: string;
  merchant_id: string | null;
  memo?: string;
  receipts: string[];
  line_items: { amount: CurrencyAmount; memo?: string; accounting_field_selections: FieldSelection[] }[];
  accounting_field_selections: FieldSelection[];
  user_id: string;
  user_email: string;
  user_full_name: string;
  entity_id: string;
  /** A date (YYYY-MM-DD) in Ramp's schema. */
  transaction_date: string;
  submitted_at: string | null;
  created_at: string;
  updated_at: string;
  accounting_date: string | null;
  sync_status: SyncStatus;
  synced_at: string | null;
  distance: number | null;
  start_location: string | null;
  end_location: string | null;
  waypoints: string[];
  payment_id: string | null;
  spend_limit_id: string | null;
}

export type BillStatus = 'OPEN' | 'PAID';
export type BillSyncStatus = 'NOT_SYNCED' | 'BILL_SYNCED' | 'BILL_AND_PAYMENT_SYNCED';

export interface BillFieldSelection {
  id: string;
  external_id: string;
  name: string;
  category_info: { id: string; external_id: string; name: string; type: string };
}

export interface BillPayment {
  amount: CurrencyAmount;
  details: Record<string, unknown>;
  effective_date: string | null;
  payment_date: string | null;
  payment_method: 'ACH' | 'CHECK' | 'CARD' | 'PAID_MANUALLY' | null;
  trace_id: { descriptor: string; trace_id: string } | null;
}

export interface Bill {
  id: string;
  amount: CurrencyAmount;
  status: BillStatus;
  approval_status: 'APPROVED' | 'PENDING' | 'REJECTED';
  accounting_date: string;
  accounting_field_selections: BillFieldSelection[];
  archived_at: string | null;
  bill_owner: { id: string; first_name: string; last_name: string };
  due_at: string;
  issued_at: string;
  paid_at?: string;
  created_at: string;
  invoice_number: string;
  invoice_currency: string;
  invoice_urls: string[];
  fx_conversion_rate: string;
  memo?: string;
  vendor: { id: string; name: string; remote_name: string; type: 'BUSINESS' | 'INDIVIDUAL' };
  vendor_contact_id: string | null;
  payment: BillPayment | null;
  line_items: { amount: CurrencyAmount; memo?: string; accounting_field_selections: BillFieldSelection[] }[];
  inventory_line_items: unknown[];
  sync_status: BillSyncStatus;
  entity_id: string;
}

export type TransactionState = 'CLEARED' | 'COMPLETION' | 'DECLINED' | 'ERROR' | 'PENDING' | 'PENDING_INITIATION';
/** Stored as a byte; the order is part of the compact encoding. */
export const TRANSACTION_STATES: readonly TransactionState[] = ['CLEARED', 'COMPLETION', 'DECLINED', 'ERROR', 'PENDING', 'PENDING_INITIATION'];

export type SyncStatus = 'NOT_SYNC_READY' | 'SYNC_READY' | 'SYNCED';
export const SYNC_STATUSES: readonly SyncStatus[] = ['NOT_SYNC_READY', 'SYNC_READY', 'SYNCED'];

/**
 * Ramp times as ISO-8601 UTC with second precision. One format everywhere, so list order can be
 * compared as strings and a client sees the same text on every read.
 */
export function formatRampTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function formatRampDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
