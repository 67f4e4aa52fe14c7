/**
 * The client's resource table against Ramp's document (ramp-schemas/paths.json): every path, scope and
 * schema name is Ramp's, and the derived config defaults and scopes follow the table.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RAMP_RESOURCES, SYNC_CONFIG_FLAGS, descriptorOf, scopesForFlags, syncFlagDefaults } from '../../src/ramp/resource-descriptors.ts';
import { RAMP_SCHEMA_DIR, rampPaths } from '../helpers/ramp-schemas.ts';
import { resourceTableRows } from './readme-resource-table.ts';

describe('Ramp resource descriptors', () => {
  const paths = rampPaths();
  it.each(RAMP_RESOURCES.map((d) => [d.resource, d] as const))('%s: path, scope and schema are Ramp\'s', (_name, d) => {
    const entry = paths[`/developer/v1/${d.rampPath}`];
    expect(entry, d.rampPath).toBeDefined();
    expect(d.scope).toBe(entry!.scope);
    expect(d.rampSchema).toBe(entry!.item ?? entry!.schema);
    expect(existsSync(join(RAMP_SCHEMA_DIR, `${d.rampSchema}.json`))).toBe(true);
  });

  it('names each resource once and covers every resource flag of RampSyncConfigUpdate', () => {
    const names = RAMP_RESOURCES.map((d) => d.resource);
    expect(new Set(names).size).toBe(names.length);
    for (const flag of SYNC_CONFIG_FLAGS) expect(RAMP_RESOURCES.some((d) => d.syncConfigFlag === flag), flag).toBe(true);
  });

  it('only incremental resources leave deletions undetected (business aside: there is one)', () => {
    for (const d of RAMP_RESOURCES) {
      if (d.resource === 'business') continue;
      expect(d.deletion === 'not-detected', d.resource).toBe(d.incrementalFilter !== null);
    }
  });

  it('derives flag defaults and the scopes a configuration needs', () => {
    expect(syncFlagDefaults()).toEqual({
      sync_transactions: true, sync_reimbursements: true, sync_bills: true,
      sync_transfers: false, sync_cashbacks: false, sync_bill_payments: false, sync_statements: false,
    });
    const scopes = scopesForFlags({ sync_transactions: true });
    expect(scopes).toContain('transactions:read');
    expect(scopes).toContain('receipts:read');
    expect(scopes).toContain('cards:read');
    expect(scopes).not.toContain('bills:read');
    expect(scopesForFlags({ sync_bill_payments: true })).toContain('bills:read');
  });
});

describe('money of every form, exactly, with its currency', () => {
  const money = (resource: string, record: Record<string, unknown>) => {
    const columns = descriptorOf(resource).project(record);
    return [columns.amount_cents, columns.currency];
  };

  it('legacy decimal major units use the currency\'s minor unit (ISO 4217)', () => {
    expect(money('reimbursements', { amount: 1500, currency: 'JPY' })).toEqual([1500, 'JPY']);
    expect(money('reimbursements', { amount: 12.34, currency: 'EUR' })).toEqual([1234, 'EUR']);
    expect(money('reimbursements', { amount: 1.234, currency: 'KWD' })).toEqual([1234, 'KWD']);
    expect(money('transactions', { amount: 4.35, currency_code: 'USD' })).toEqual([435, 'USD']);
    expect(money('transactions', { amount: 1234567.89, currency_code: 'usd' })).toEqual([123456789, 'USD']);
  });

  it('CurrencyAmount objects are minor units already; minor_unit_conversion_rate rescales exactly', () => {
    expect(money('transfers', { amount: { amount: 4000, currency_code: 'USD' } })).toEqual([4000, 'USD']);
    expect(money('cashbacks', { amount: { amount: 5000, currency_code: 'JPY', minor_unit_conversion_rate: 1 } })).toEqual([5000, 'JPY']);
    expect(money('bills', { amount: { amount: 400000, currency_code: 'USD', minor_unit_conversion_rate: 10000 } })).toEqual([4000, 'USD']);
    expect(money('bills', { amount: { amount: 400050, currency_code: 'USD', minor_unit_conversion_rate: 10000 } })).toEqual([4001, 'USD']);
    expect(money('statements', { ending_balance: { amount: -2550, currency_code: 'EUR' } })).toEqual([-2550, 'EUR']);
    expect(money('transfers', { amount: { amount: 1.5, currency_code: 'USD' } })).toEqual([null, null]);
  });

  it('a currency Ramp did not send is never assumed: no money rather than USD', () => {
    // CurrencyAmount's currency_code is required (developer-api.json): without it the answer is malformed.
    expect(money('bills', { amount: { amount: 4000 } })).toEqual([null, null]);
    expect(money('transfers', { amount: { amount: 4000, currency_code: 'US' } })).toEqual([null, null]);
    expect(money('statements', { ending_balance: { amount: 4000, currency_code: null } })).toEqual([null, null]);
    // A reimbursement's `currency` is required too; nothing else names the payor's currency.
    expect(money('reimbursements', { amount: 12.34, payee_amount: { amount: 1234, currency_code: 'EUR' } })).toEqual([null, null]);
    expect(money('reimbursements', { amount: 12.34, currency: 'dollars' })).toEqual([null, null]);
  });

  it('a transaction without currency_code (optional in Ramp\'s schema) settled in its line items\' one currency', () => {
    const line = (code?: string) => ({ amount: { amount: 1, ...(code === undefined ? {} : { currency_code: code }) } });
    expect(money('transactions', { amount: 1500, line_items: [line('JPY')] })).toEqual([1500, 'JPY']);
    expect(money('transactions', { amount: 12.34, line_items: [line('EUR'), line('eur')] })).toEqual([1234, 'EUR']);
    expect(money('transactions', { amount: 12.34, line_items: [line('EUR'), line('GBP')] })).toEqual([null, null]);
    expect(money('transactions', { amount: 12.34, line_items: [line('EUR'), line()] })).toEqual([null, null]);
    expect(money('transactions', { amount: 12.34, line_items: [] })).toEqual([null, null]);
    expect(money('transactions', { amount: 12.34 })).toEqual([null, null]);
    // A code that is there but malformed is not replaced by the lines' one.
    expect(money('transactions', { amount: 12.34, currency_code: 'E', line_items: [line('EUR')] })).toEqual([null, null]);
    // The original (pre-conversion) amount is another currency's: never a fallback.
    expect(money('transactions', { amount: 12.34, original_transaction_amount: { amount: 1234, currency_code: 'EUR' } })).toEqual([null, null]);
  });

  it('a bill payment is derived from a paid bill only, under the bill\'s id', () => {
    const { derive } = descriptorOf('bill-payments');
    expect(derive!({ id: 'b1', status: 'OPEN', payment: null })).toBeNull();
    const payment = derive!({ id: 'b2', status: 'PAID', payment: { amount: { amount: 700, currency_code: 'GBP' }, payment_date: '2026-10-01T00:00:00Z' } })!;
    expect(payment).toMatchObject({ id: 'b2', bill_id: 'b2' });
    expect(money('bill-payments', payment)).toEqual([700, 'GBP']);
  });
});

describe('README', () => {
  it('lists exactly the table\'s resources (README "Ramp resources")', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const block = readme.slice(readme.indexOf('<!-- ramp-resources:start'), readme.indexOf('<!-- ramp-resources:end -->'));
    const rows = block.split('\n').filter((line) => line.startsWith('| `'));
    expect(rows).toEqual(resourceTableRows());
  });
});
