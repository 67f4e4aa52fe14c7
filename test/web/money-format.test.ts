/**
 * Money on the page (src/web/assets/format.js, chart.js): an amount in its own currency's minor units,
 * and an amount the read API gives without a currency (`null`: Ramp's answer did not name it) shown
 * as unknown, never as dollars, and left out of the spend chart.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: browser JavaScript without type declarations
import { formatMoney } from '../../src/web/assets/format.js';
// @ts-expect-error: browser JavaScript without type declarations
import { spendPerDay } from '../../src/web/assets/chart.js';

const format = formatMoney as (amountCents: unknown, currency: unknown) => string;
const perDay = spendPerDay as (items: Record<string, unknown>[]) => { currency: string; total: number; otherCurrencies: number } | null;

describe('money on the page', () => {
  it('formats minor units by their currency', () => {
    const usd = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' }).format(123.45);
    const jpy = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'JPY' }).format(5000);
    expect(format(12345, 'USD')).toBe(usd);
    expect(format(5000, 'JPY')).toBe(jpy);
  });

  it('an amount without a currency, or no amount, is "—", not dollars', () => {
    expect(format(null, null)).toBe('—');
    expect(format(12345, null)).toBe('—');
    expect(format(12345, 'dollars')).toBe('—');
    expect(format(null, 'USD')).toBe('—');
    expect(format(undefined, 'USD')).toBe('—');
  });

  it('the spend chart leaves out money without a currency instead of counting it as USD', () => {
    const at = '2026-09-01T12:00:00Z';
    const items = [
      { amount_cents: 1000, currency: 'EUR', user_transaction_time: at },
      { amount_cents: 2000, currency: 'EUR', user_transaction_time: at },
      { amount_cents: null, currency: null, user_transaction_time: at },
      { amount_cents: null, currency: null, user_transaction_time: at },
      { amount_cents: null, currency: null, user_transaction_time: at },
    ];
    expect(perDay(items)).toMatchObject({ currency: 'EUR', total: 3000 });
    expect(perDay(items.slice(2))).toBeNull();
  });
});
