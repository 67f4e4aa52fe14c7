/**
 * @module Exact conversion of Ramp's legacy decimal amounts (major units, e.g. `90.0`) to integer
 * minor units. Ramp documents the decimal `amount` in major units of the record's currency and
 * `CurrencyAmount` as integer minor units (monetary-values.mdx; docs/ramp-behaviour.md#money-and-dates); the product stores integer
 * cents (docs/ramp-behaviour.md#product-api). `Math.round(x * 100)` is wrong for values such as 1.005 or 4.35 (float products), so
 * the conversion works on the decimal *text*: a JSON number's shortest round-trip representation
 * (`String(n)`, ECMA-262 Number::toString) is exactly the decimal Ramp sent whenever it has at most
 * 15 significant digits, and a string is used as-is.
 */

/** ISO 4217 currencies whose minor unit is not 1/100 (exponent ≠ 2). Everything else is 2. */
const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
});

/** Minor-unit exponent of a currency code (2 when unknown or absent, as for USD). */
export function currencyExponent(currency: string | null | undefined): number {
  return (currency ? CURRENCY_EXPONENTS[currency.toUpperCase()] : undefined) ?? 2;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Converts a decimal amount in major units to an integer number of minor units, without float
 * arithmetic. Digits beyond the minor unit are rounded half away from zero (commercial rounding);
 * Ramp's amounts carry at most the currency's minor digits, so that only matters for bad input.
 * Returns `undefined` for anything that is not a finite decimal or whose result is not a safe integer.
 *
 * @example decimalToMinorUnits(0.3) // 30 (Math.round(0.3 * 100) happens to work; 1.005 * 100 = 100.49999… does not)
 * @example decimalToMinorUnits(1.005) // 101
 * @example decimalToMinorUnits(1234567.89) // 123456789
 * @example decimalToMinorUnits('-25.5') // -2550
 * @example decimalToMinorUnits(1500, 0) // 1500 (JPY)
 */
export function decimalToMinorUnits(value: unknown, exponent = 2): number | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return undefined;
  }
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const [, sign = '', intPart = '', fracPart = '', expPart] = match;
  if (intPart.length === 0 && fracPart.length === 0) return undefined;
  const shift = exponent + (expPart === undefined ? 0 : Number(expPart));
  if (!Number.isSafeInteger(shift) || Math.abs(shift) > 400) return undefined;
  // All digits as one integer string with the decimal point `fracPart.length` from the right;
  // multiplying by 10^shift moves the point `shift` places to the right.
  const digits = `${intPart}${fracPart}`.replace(/^0+(?=\d)/, '');
  const pointFromRight = fracPart.length - shift;
  let whole: string;
  let roundUp = false;
  if (pointFromRight <= 0) {
    whole = digits + '0'.repeat(-pointFromRight);
  } else if (pointFromRight >= digits.length) {
    whole = '0';
    const padded = '0'.repeat(pointFromRight - digits.length) + digits;
    roundUp = padded[0]! >= '5';
  } else {
    whole = digits.slice(0, digits.length - pointFromRight);
    roundUp = digits[digits.length - pointFromRight]! >= '5';
  }
  let result = BigInt(whole);
  if (roundUp) result += 1n;
  if (sign === '-') result = -result;
  if (result > BigInt(Number.MAX_SAFE_INTEGER) || result < -BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return result === 0n ? 0 : Number(result);
}

/**
 * An ISO 4217 code as Ramp sends one (three letters; upper-cased), or undefined for anything else.
 * Money whose currency is absent or malformed has no currency the product could honestly name, so
 * the converters below give no money at all rather than assume USD: `CurrencyAmount.currency_code`
 * is required wherever Ramp uses it (developer-api.json), so its absence is a malformed answer, and
 * a decimal amount without its currency has no known minor unit either.
 */
export function currencyCode(code: unknown): string | undefined {
  return typeof code === 'string' && /^[A-Za-z]{3}$/.test(code) ? code.toUpperCase() : undefined;
}

/** Money as the product keeps it: integer minor units of `currency` (ISO 4217 exponent, `currencyExponent`). */
export interface MinorAmount {
  readonly amount: number;
  readonly currency: string;
}

/**
 * Ramp's canonical `CurrencyAmount` (`{amount, currency_code}`, amount in the currency's smallest unit,
 * docs/ramp-behaviour.md#money-and-dates) → minor units. Newer objects also carry
 * `minor_unit_conversion_rate` (minor units per major unit); when it says another scale than the
 * currency's exponent, the amount is rescaled exactly (integer arithmetic, half away from zero).
 * Returns undefined for anything else, a missing or malformed `currency_code` included (`currencyCode`).
 *
 * @example currencyAmountToMinorUnits({ amount: 4000, currency_code: 'USD' }) // { amount: 4000, currency: 'USD' }
 * @example currencyAmountToMinorUnits({ amount: 400000, currency_code: 'USD', minor_unit_conversion_rate: 10000 }) // { amount: 4000, currency: 'USD' }
 */
export function currencyAmountToMinorUnits(value: unknown): MinorAmount | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { amount, currency_code: code, minor_unit_conversion_rate: rate } = value as Record<string, unknown>;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) return undefined;
  const currency = currencyCode(code);
  if (currency === undefined) return undefined;
  const scale = 10n ** BigInt(currencyExponent(currency));
  if (typeof rate !== 'number' || !Number.isSafeInteger(rate) || rate <= 0 || BigInt(rate) === scale) return { amount, currency };
  const numerator = BigInt(amount) * scale;
  const divisor = BigInt(rate);
  let quotient = numerator / divisor;
  const remainder = numerator % divisor;
  if (remainder !== 0n && (remainder < 0n ? -remainder : remainder) * 2n >= divisor) quotient += numerator < 0n ? -1n : 1n;
  if (quotient > BigInt(Number.MAX_SAFE_INTEGER) || quotient < -BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { amount: quotient === 0n ? 0 : Number(quotient), currency };
}

/**
 * Ramp's legacy decimal amount (major units of the record's own currency: a transaction's
 * `currency_code`, a reimbursement's `currency`, developer-api.json) with that currency's code →
 * minor units, exactly (`decimalToMinorUnits`). Undefined when the code is absent or malformed.
 */
export function decimalAmountToMinorUnits(value: unknown, code: unknown): MinorAmount | undefined {
  const currency = currencyCode(code);
  if (currency === undefined) return undefined;
  const amount = decimalToMinorUnits(value, currencyExponent(currency));
  return amount === undefined ? undefined : { amount, currency };
}
