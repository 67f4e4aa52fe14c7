/**
 * @module The columns the read API filters and sorts on, taken from one Ramp record. Ramp's object is
 * stored verbatim beside them. Field names per resource: docs/ramp-behaviour.md#resources-and-scopes / docs/ramp-behaviour.md#money-and-dates.
 */
import { currencyExponent, decimalToMinorUnits } from '../ramp/money.ts';
import type { RampListResource } from '../ramp/resources.ts';

export type SyncResource = 'business' | RampListResource;

export interface RecordColumns {
  readonly amount_cents: number | null;
  readonly currency: string | null;
  /** Epoch ms; 0 when the record has no time of its own. */
  readonly occurred_at: number;
  readonly state: string | null;
  readonly user_id: string | null;
  readonly card_id: string | null;
  readonly department_id: string | null;
}

/** Resources whose `amount` is Ramp's legacy decimal in major units (converted to minor units here). */
export const DECIMAL_AMOUNT_RESOURCES: ReadonlySet<SyncResource> = new Set(['transactions', 'reimbursements']);

function str(value: unknown, max = 64): string | null {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null;
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** ISO-8601 date or date-time → epoch ms; UTC when no offset (Ramp dates guide, docs/ramp-behaviour.md#money-and-dates). */
export function timeOf(value: unknown): number {
  if (typeof value !== 'string' || value.length < 10) return 0;
  const withZone = /(?:[Zz]|[+-]\d{2}:?\d{2})$/.test(value) || value.length === 10 ? value : `${value.replace(' ', 'T')}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? 0 : ms;
}

function minorAmount(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

const EMPTY: RecordColumns = { amount_cents: null, currency: null, occurred_at: 0, state: null, user_id: null, card_id: null, department_id: null };

export function projectRecord(resource: SyncResource, record: Record<string, unknown>): RecordColumns {
  switch (resource) {
    case 'transactions': {
      const holder = obj(record.card_holder);
      const currency = str(record.currency_code, 3) ?? 'USD';
      return {
        amount_cents: decimalToMinorUnits(record.amount, currencyExponent(currency)) ?? null,
        currency,
        occurred_at: timeOf(record.user_transaction_time),
        state: str(record.state, 32),
        user_id: str(holder.user_id),
        card_id: str(record.card_id),
        department_id: str(holder.department_id),
      };
    }
    case 'reimbursements': {
      const currency = str(record.currency, 3) ?? 'USD';
      return {
        ...EMPTY,
        amount_cents: decimalToMinorUnits(record.amount, currencyExponent(currency)) ?? null,
        currency,
        occurred_at: timeOf(record.transaction_date) || timeOf(record.submitted_at),
        state: str(record.state, 32),
        user_id: str(record.user_id),
      };
    }
    case 'bills': {
      const amount = obj(record.amount);
      return {
        ...EMPTY,
        amount_cents: minorAmount(amount.amount),
        currency: str(amount.currency_code, 3),
        occurred_at: timeOf(record.issued_at) || timeOf(record.created_at),
        state: str(record.status, 32),
      };
    }
    case 'users':
      return { ...EMPTY, state: str(record.status, 32), user_id: str(record.id), department_id: str(record.department_id) };
    case 'cards':
      return { ...EMPTY, occurred_at: timeOf(record.created_at), state: str(record.state, 32), user_id: str(record.cardholder_id), card_id: str(record.id) };
    case 'vendors':
      return { ...EMPTY, occurred_at: timeOf(record.created_at), state: record.is_active === false ? 'INACTIVE' : record.is_active === true ? 'ACTIVE' : null };
    case 'business':
      return { ...EMPTY, occurred_at: timeOf(record.created_time) };
    default:
      return EMPTY;
  }
}
