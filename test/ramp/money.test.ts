/** Exact decimal → minor-unit conversion (src/ramp/money.ts): the awkward values, and properties over many. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyAmountToMinorUnits, currencyExponent, decimalAmountToMinorUnits, decimalToMinorUnits } from '../../src/ramp/money.ts';

describe('decimalToMinorUnits', () => {
  it('converts the values that break float arithmetic', () => {
    expect(decimalToMinorUnits(0.1)).toBe(10);
    expect(decimalToMinorUnits(0.2)).toBe(20);
    expect(decimalToMinorUnits(0.3)).toBe(30);
    expect(decimalToMinorUnits(0.07)).toBe(7);
    expect(decimalToMinorUnits(1.005)).toBe(101); // 1.005 * 100 = 100.49999999999999
    expect(decimalToMinorUnits(4.35)).toBe(435); // 4.35 * 100 = 434.99999999999994
    expect(decimalToMinorUnits(1234567.89)).toBe(123456789);
    expect(decimalToMinorUnits(1e9)).toBe(100_000_000_000);
    expect(decimalToMinorUnits(1000000000.01)).toBe(100_000_000_001);
    expect(decimalToMinorUnits(90.0)).toBe(9000);
    expect(decimalToMinorUnits(0)).toBe(0);
    expect(decimalToMinorUnits(-0)).toBe(0);
  });

  it('keeps the sign of refunds', () => {
    expect(decimalToMinorUnits(-25.5)).toBe(-2550);
    expect(decimalToMinorUnits(-0.01)).toBe(-1);
    expect(decimalToMinorUnits('-1234567.89')).toBe(-123456789);
  });

  it('reads strings, exponents and other minor units', () => {
    expect(decimalToMinorUnits('12.34')).toBe(1234);
    expect(decimalToMinorUnits('1.5e3')).toBe(150000);
    expect(decimalToMinorUnits(1e21)).toBeUndefined(); // beyond a safe integer of cents
    expect(decimalToMinorUnits(1.5e-7)).toBe(0);
    expect(decimalToMinorUnits(1500, currencyExponent('JPY'))).toBe(1500);
    expect(decimalToMinorUnits(1.234, currencyExponent('KWD'))).toBe(1234);
    expect(currencyExponent('usd')).toBe(2);
    expect(currencyExponent(null)).toBe(2);
  });

  it('rounds extra digits half away from zero', () => {
    expect(decimalToMinorUnits('0.125')).toBe(13);
    expect(decimalToMinorUnits('0.124')).toBe(12);
    expect(decimalToMinorUnits('-0.125')).toBe(-13);
  });

  it('refuses what is not a finite decimal', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '', '.', '1,5', 'abc', '1.2.3', null, undefined, {}, '0x10']) {
      expect(decimalToMinorUnits(bad), String(bad)).toBeUndefined();
    }
  });

  it('property: cents/100 as Ramp would send it converts back to exactly those cents', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(10 ** 15) + 1, max: 10 ** 15 - 1 }), (cents) => {
        // What JSON.parse gives for Ramp's decimal text, e.g. "1234567.89".
        const sent = JSON.parse(JSON.stringify(cents / 100)) as number;
        expect(decimalToMinorUnits(sent)).toBe(cents);
      }),
      { numRuns: 20_000 },
    );
  });

  it('property: any decimal string with at most two fraction digits converts exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 0, max: 2 }), (value, digits) => {
        const negative = value < 0n;
        const abs = (negative ? -value : value).toString().padStart(digits + 1, '0');
        const text = `${negative ? '-' : ''}${digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`}`;
        const expected = value * 10n ** BigInt(2 - digits);
        const safe = expected <= BigInt(Number.MAX_SAFE_INTEGER) && expected >= -BigInt(Number.MAX_SAFE_INTEGER);
        expect(decimalToMinorUnits(text)).toBe(safe ? Number(expected) : undefined);
      }),
      { numRuns: 5_000 },
    );
  });
});

/** ISO 4217 minor-unit exponents of the codes below, written out here rather than read from money.ts. */
const EXPONENTS: Record<string, number> = { USD: 2, EUR: 2, GBP: 2, CAD: 2, CHF: 2, JPY: 0, KRW: 0, CLP: 0, KWD: 3, BHD: 3, CLF: 4 };
const CODES = Object.keys(EXPONENTS);

/** Anything Ramp could put where a currency code belongs that is not a three-letter code. */
const notACode = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
  fc.boolean(),
  fc.string().filter((text) => !/^[A-Za-z]{3}$/.test(text)),
  fc.constantFrom('', 'US', 'USDX', ' USD', 'USD ', 'U$D', '840', 'ÜSD'),
);

/** Minor units as text in major units: 123456 with exponent 2 → "1234.56", with 0 → "123456". */
function majorText(minor: bigint, exponent: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const text = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return `${negative ? '-' : ''}${text}`;
}

describe('money with its currency: never a currency Ramp did not send', () => {
  it('property: a legacy decimal in any currency converts to exactly its minor units, in that currency', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CODES), fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }), fc.boolean(), fc.boolean(), (code, minor, lower, asNumber) => {
        const text = majorText(minor, EXPONENTS[code]!);
        // Ramp sends a JSON number; its shortest text is the decimal it wrote (at most 15 significant digits here).
        const sent = asNumber ? (JSON.parse(text) as number) : text;
        expect(decimalAmountToMinorUnits(sent, lower ? code.toLowerCase() : code)).toEqual({ amount: Number(minor), currency: code });
      }),
      { numRuns: 5_000 },
    );
  });

  it('property: a CurrencyAmount keeps its integer and its currency; a rate equal to the currency\'s minor unit changes nothing', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CODES), fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), fc.boolean(), (code, amount, withRate) => {
        const value = { amount, currency_code: code, ...(withRate ? { minor_unit_conversion_rate: 10 ** EXPONENTS[code]! } : {}) };
        expect(currencyAmountToMinorUnits(value)).toEqual({ amount, currency: code });
      }),
      { numRuns: 5_000 },
    );
  });

  it('property: an absent or malformed currency code gives no money at all, never USD', () => {
    fc.assert(
      fc.property(notACode, fc.integer({ min: -(10 ** 12), max: 10 ** 12 }), fc.boolean(), (code, minor, present) => {
        const currencyAmount = present ? { amount: minor, currency_code: code } : { amount: minor };
        expect(currencyAmountToMinorUnits(currencyAmount)).toBeUndefined();
        expect(currencyAmountToMinorUnits({ ...currencyAmount, minor_unit_conversion_rate: 100 })).toBeUndefined();
        expect(decimalAmountToMinorUnits(minor / 100, code)).toBeUndefined();
        expect(decimalAmountToMinorUnits(String(minor), code)).toBeUndefined();
      }),
      { numRuns: 5_000 },
    );
  });
});
