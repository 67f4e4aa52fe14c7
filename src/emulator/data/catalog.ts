/**
 * @module Fixed vocabularies the generator draws from.
 *
 * Names deliberately include apostrophes, ampersands, accents and non-Latin scripts, and memos
 * include emoji and newlines, so a client's storage and encoding are exercised by ordinary syncs.
 */

export interface MerchantTemplate {
  readonly name: string;
  readonly categoryId: number;
  readonly categoryName: string;
  readonly mcc: string;
  readonly country: string;
}

export const MERCHANTS: readonly MerchantTemplate[] = [
  { name: 'Amazon Web Services', categoryId: 22, categoryName: 'SaaS / Software', mcc: '7372', country: 'US' },
  { name: 'Delta Air Lines', categoryId: 3, categoryName: 'Airlines', mcc: '3058', country: 'US' },
  { name: 'Uber', categoryId: 41, categoryName: 'Taxi & Rideshare', mcc: '4121', country: 'US' },
  { name: 'WeWork', categoryId: 31, categoryName: 'Rent & Coworking', mcc: '6513', country: 'US' },
  { name: 'Staples', categoryId: 27, categoryName: 'Office Supplies', mcc: '5943', country: 'US' },
  { name: "Joe's Café", categoryId: 40, categoryName: 'Restaurants', mcc: '5812', country: 'US' },
  { name: 'Zoom Video Communications', categoryId: 22, categoryName: 'SaaS / Software', mcc: '7372', country: 'US' },
  { name: 'Slack', categoryId: 22, categoryName: 'SaaS / Software', mcc: '7372', country: 'US' },
  { name: 'Figma', categoryId: 22, categoryName: 'SaaS / Software', mcc: '7372', country: 'US' },
  { name: 'GitHub', categoryId: 22, categoryName: 'SaaS / Software', mcc: '7372', country: 'US' },
  { name: 'Hilton Hotels', categoryId: 18, categoryName: 'Lodging', mcc: '3504', country: 'US' },
  { name: 'Starbucks', categoryId: 40, categoryName: 'Restaurants', mcc: '5814', country: 'US' },
  { name: 'DoorDash', categoryId: 40, categoryName: 'Restaurants', mcc: '5812', country: 'US' },
  { name: 'FedEx', categoryId: 35, categoryName: 'Shipping', mcc: '4215', country: 'US' },
  { name: 'Google Ads', categoryId: 1, categoryName: 'Advertising', mcc: '7311', country: 'US' },
  { name: 'LinkedIn', categoryId: 1, categoryName: 'Advertising', mcc: '7311', country: 'US' },
  { name: 'Apple', categoryId: 12, categoryName: 'Electronics', mcc: '5732', country: 'US' },
  { name: 'The Home Depot', categoryId: 19, categoryName: 'Maintenance', mcc: '5200', country: 'US' },
  { name: 'Lyft', categoryId: 41, categoryName: 'Taxi & Rideshare', mcc: '4121', country: 'US' },
  { name: 'United Airlines', categoryId: 3, categoryName: 'Airlines', mcc: '3000', country: 'US' },
  { name: 'Salesforce', categoryId: 22, categoryName: 'SaaS / Software', mcc: '7372', country: 'US' },
  { name: "O'Reilly Media", categoryId: 9, categoryName: 'Education', mcc: '8299', country: 'US' },
  { name: 'Café Zürich', categoryId: 40, categoryName: 'Restaurants', mcc: '5812', country: 'CH' },
  { name: 'Müller & Söhne GmbH', categoryId: 27, categoryName: 'Office Supplies', mcc: '5943', country: 'DE' },
  { name: '東京カフェ', categoryId: 40, categoryName: 'Restaurants', mcc: '5812', country: 'JP' },
  { name: 'Marriott', categoryId: 18, categoryName: 'Lodging', mcc: '3509', country: 'US' },
  { name: 'Notion Labs', categoryId: 22, categoryName: 'SaaS / Software', mcc: '7372', country: 'US' },
  { name: 'Pret A Manger', categoryId: 40, categoryName: 'Restaurants', mcc: '5814', country: 'GB' },
];

export const FIRST_NAMES: readonly string[] = [
  'Ada', 'Grace', 'Alan', 'Zoë', 'José', 'Mei', 'Olusegun', 'Priya', 'Lars', 'Fatima', 'Noah', 'Ingrid',
  'Kenji', 'Amélie', 'Dmitri', 'Aisha', 'Liam', 'Sofía', 'Chen', 'Björn',
];

export const LAST_NAMES: readonly string[] = [
  'Lovelace', 'Hopper', 'Turing', "O'Brien", 'García', 'Wang', 'Adeyemi', 'Patel', 'Nilsson', 'Haddad',
  'Smith', 'Johansson', 'Tanaka', 'Dubois', 'Ivanov', 'Khan', 'Murphy', 'Hernández', 'Li', 'Åberg',
];

export const DEPARTMENT_NAMES: readonly string[] = [
  'Engineering', 'Sales', 'Marketing', 'Finance & Accounting', 'Operations', 'People', 'Legal', 'Design', 'Support', 'Research',
];

export const LOCATION_NAMES: readonly string[] = [
  'New York HQ', 'San Francisco', 'Austin', 'London', 'Remote', 'Berlin', 'Toronto', 'Singapore',
];

/** `null` entries make most records memo-less, as in real data. */
export const MEMOS: readonly (string | null)[] = [
  null, null, null, null, null, null,
  'Team lunch 🍕',
  'Client dinner — Q3 review',
  'Conference "DevDays" ticket',
  'Monthly subscription',
  'Flight to offsite\nReturn on Friday',
  'Office supplies & snacks',
  'Reimbursable? ask finance',
  'Überweisung / ¥ / € test',
];

export interface Currency {
  readonly code: string;
  /** Minor units per major unit (ISO 4217 exponent); JPY has none. */
  readonly minorPerMajor: number;
  /** Units of this currency per USD, for deterministic conversion. */
  readonly perUsd: number;
}

export const CURRENCIES: readonly Currency[] = [
  { code: 'USD', minorPerMajor: 100, perUsd: 1 },
  { code: 'EUR', minorPerMajor: 100, perUsd: 0.92 },
  { code: 'GBP', minorPerMajor: 100, perUsd: 0.79 },
  { code: 'CAD', minorPerMajor: 100, perUsd: 1.36 },
  { code: 'JPY', minorPerMajor: 1, perUsd: 151 },
];

/** Index into CURRENCIES of a code the catalog has (USD's, 0, for any other). */
export function currencyIndexOf(code: string): number {
  return Math.max(0, CURRENCIES.findIndex((currency) => currency.code === code));
}

/**
 * Amounts (in cents) placed on the first generated transactions so every dataset has values that
 * break naive float handling: 0.1 + 0.2 ≠ 0.3, 0.07 × 100 ≠ 7, large and ≥ 1e9 dollar amounts, a refund.
 */
export const AWKWARD_AMOUNTS_CENTS: readonly number[] = [10, 20, 30, 7, 1, 123456789, 100000000001, -2550, 999999, 1999];
