/**
 * @module Wire shapes of the emulated Ramp resources (ramp-and-dayzero-api.md B7).
 *
 * Field names follow Ramp's spec snapshot; only the fields a sync client plausibly reads are
 * filled, the rest of Ramp's (long) schemas are omitted. Money: the legacy decimal `amount` is a
 * number of dollars, `CurrencyAmount` is `{amount: integer minor units, currency_code}` (B7.1).
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
  is_reimbursements_enabled: boolean;
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
  entity_id: string;
}

export interface User {
  id: string;
  business_id: string;
  first_name: string;
  last_name: string;
  email: string;
  role: 'BUSINESS_OWNER' | 'BUSINESS_ADMIN' | 'BUSINESS_BOOKKEEPER' | 'BUSINESS_USER';
  status: 'USER_ACTIVE' | 'INVITE_PENDING' | 'USER_SUSPENDED';
  department_id: string;
  location_id: string;
  entity_id: string;
  manager_id: string | null;
  is_manager: boolean;
  employee_id: string;
  phone: string | null;
}

export interface Card {
  id: string;
  display_name: string;
  last_four: string;
  expiration: string;
  cardholder_id: string;
  cardholder_name: string;
  is_physical: boolean;
  state: 'ACTIVE' | 'SUSPENDED' | 'TERMINATED' | 'UNACTIVATED';
  entity_id: string;
  created_at: string;
}

export interface Vendor {
  id: string;
  name: string;
  is_active: boolean;
  country: string;
  created_at: string;
  sk_category_id: number;
  sk_category_name: string;
  merchant_id: string;
  total_spend_ytd: CurrencyAmount;
  total_spend_all_time: CurrencyAmount;
}

export type ReimbursementState = 'PENDING' | 'APPROVED' | 'REIMBURSED' | 'REJECTED' | 'CANCELED';
export const REIMBURSEMENT_STATES: readonly ReimbursementState[] = ['PENDING', 'APPROVED', 'REIMBURSED', 'REJECTED', 'CANCELED'];

export interface Reimbursement {
  id: string;
  amount: number;
  currency: string;
  original_reimbursement_amount: CurrencyAmount;
  state: ReimbursementState;
  type: 'OUT_OF_POCKET' | 'MILEAGE';
  direction: 'BUSINESS_TO_USER';
  merchant: string | null;
  memo: string | null;
  receipts: string[];
  user_id: string;
  user_email: string;
  user_full_name: string;
  entity_id: string;
  transaction_date: string;
  submitted_at: string;
  created_at: string;
  updated_at: string;
  accounting_date: string | null;
  sync_status: SyncStatus;
  synced_at: string | null;
  distance: number | null;
}

export type BillStatus = 'OPEN' | 'PAID';
export type BillSyncStatus = 'NOT_SYNCED' | 'BILL_SYNCED' | 'BILL_AND_PAYMENT_SYNCED';

export interface Bill {
  id: string;
  amount: CurrencyAmount;
  status: BillStatus;
  approval_status: 'APPROVED' | 'PENDING' | 'REJECTED';
  due_at: string;
  issued_at: string;
  paid_at: string | null;
  created_at: string;
  invoice_number: string;
  invoice_currency: string;
  memo: string | null;
  vendor: { id: string; remote_name: string };
  payment: { amount: CurrencyAmount; payment_date: string; payment_method: 'ACH' | 'CHECK' | 'CARD' } | null;
  line_items: { amount: CurrencyAmount; memo: string | null; accounting_field_selections: unknown[] }[];
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
