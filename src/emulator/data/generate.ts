/**
 * @module Deterministic demo data for one business.
 *
 * Every resource draws from its own seeded stream (`<business>:<seed>:<resource>`), so the same
 * (business, seed, counts) always yields the same ids, amounts and times, and changing one count
 * does not reshuffle the others. Times are spread over the year before a fixed anchor (default
 * 2026-10-01T00:00:00Z) rather than "now", so data does not drift between runs.
 */
import { AWKWARD_AMOUNTS_CENTS, CURRENCIES, DEPARTMENT_NAMES, FIRST_NAMES, LAST_NAMES, LOCATION_NAMES, MEMOS, MERCHANTS } from './catalog.ts';
import type { Bill, BusinessProfile, Card, Department, Location, Reimbursement, ReimbursementState, User, Vendor } from './models.ts';
import { SYNC_STATUSES, TRANSACTION_STATES, formatRampTime } from './models.ts';
import { SeededRandom } from './prng.ts';
import type { BusinessData } from './store.ts';
import { ObjectTable, byTimeDescending } from './table.ts';
import { TransactionTable } from './transactions.ts';

export interface SeedCounts {
  transactions: number;
  reimbursements: number;
  bills: number;
  users: number;
  cards: number;
  departments: number;
  locations: number;
  vendors: number;
}

/** What `startEmulator` seeds the demo business with. */
export const DEMO_COUNTS: Readonly<SeedCounts> = Object.freeze({
  transactions: 250, reimbursements: 40, bills: 30, users: 12, cards: 20, departments: 5, locations: 3, vendors: 25,
});

export const DEFAULT_ANCHOR_MS = Date.parse('2026-10-01T00:00:00Z');
export const DEMO_BUSINESS_NAME = 'Emulated Demo Co.';

const DAY_MS = 86_400_000;
const YEAR_MS = 365 * DAY_MS;

export interface GenerateInput {
  businessId: string;
  seed: number;
  counts: SeedCounts;
  anchorMs: number;
  businessName?: string | undefined;
}

/** Drops combining marks and anything non-alphabetic: "Zoë O'Brien" → "zoe", "obrien". */
function emailSlug(name: string): string {
  return name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z]/g, '').toLowerCase() || 'user';
}

function nthName(names: readonly string[], index: number): string {
  const base = names[index % names.length]!;
  const round = Math.floor(index / names.length);
  return round === 0 ? base : `${base} ${round + 1}`;
}

/** Second-precision time `offsetMs` before the anchor (Ramp times carry no fractions here). */
function timeBefore(anchorMs: number, offsetMs: number): number {
  return Math.floor((anchorMs - offsetMs) / 1000) * 1000;
}

export function generateBusinessData(input: GenerateInput): BusinessData {
  const { businessId, seed, counts, anchorMs } = input;
  const stream = (name: string): SeededRandom => new SeededRandom(`${businessId}:${seed}:${name}`);

  const entityId = stream('entity').uuid();
  const profile = generateProfile(businessId, input.businessName ?? `Business ${businessId.slice(0, 8)}`, anchorMs);

  const departmentRandom = stream('departments');
  const departments = new ObjectTable<Department>(
    Array.from({ length: counts.departments }, (_, i) => ({ id: departmentRandom.uuid(), name: nthName(DEPARTMENT_NAMES, i) })),
  );
  const locationRandom = stream('locations');
  const locations = new ObjectTable<Location>(
    Array.from({ length: counts.locations }, (_, i) => ({ id: locationRandom.uuid(), name: nthName(LOCATION_NAMES, i), entity_id: entityId })),
  );
  const users = new ObjectTable<User>(generateUsers(stream('users'), counts.users, businessId, entityId, departments, locations));
  const cards = new ObjectTable<Card>(generateCards(stream('cards'), counts.cards, users, entityId, anchorMs));
  const vendors = new ObjectTable<Vendor>(generateVendors(stream('vendors'), counts.vendors, anchorMs));

  const transactions = new TransactionTable({ entityId, cards, users, vendors, departments, locations }, counts.transactions);
  fillTransactions(stream('transactions'), transactions, counts.transactions, anchorMs);
  addVendorSpend(transactions, vendors, anchorMs);

  const reimbursements = new ObjectTable<Reimbursement>(
    generateReimbursements(stream('reimbursements'), counts.reimbursements, users, vendors, entityId, anchorMs),
    byTimeDescending((item) => item.transaction_date),
  );
  const bills = new ObjectTable<Bill>(generateBills(stream('bills'), counts.bills, vendors, entityId, anchorMs), byTimeDescending((item) => item.created_at));

  return {
    id: businessId, seed, anchorMs, profile, entityId, departments, locations, users, cards, vendors, transactions,
    reimbursements, bills, accountingSyncs: new Map(), mutationCount: 0,
  };
}

function generateProfile(businessId: string, name: string, anchorMs: number): BusinessProfile {
  return {
    id: businessId,
    business_name_legal: name === DEMO_BUSINESS_NAME ? 'Emulated Demo Company, Inc.' : `${name}, Inc.`,
    business_name_on_card: name.toUpperCase().slice(0, 21),
    active: true,
    billing_address: { address1: '28 W 23rd St', address2: 'Floor 2', city: 'New York', state: 'NY', postal_code: '10010', country: 'US' },
    created_time: formatRampTime(anchorMs - 2 * YEAR_MS),
    initial_approved_limit: 25_000_000,
    is_reimbursements_enabled: true,
    phone: '+12125550100',
    website: 'https://demo-business.example',
    enforce_sso: false,
  };
}

function generateUsers(random: SeededRandom, count: number, businessId: string, entityId: string, departments: ObjectTable<Department>, locations: ObjectTable<Location>): User[] {
  const users: User[] = [];
  const emails = new Set<string>();
  for (let i = 0; i < count; i++) {
    const firstName = FIRST_NAMES[i % FIRST_NAMES.length]!;
    const lastName = LAST_NAMES[(i * 7 + 3) % LAST_NAMES.length]!;
    let email = `${emailSlug(firstName)}.${emailSlug(lastName)}@demo-business.example`;
    if (emails.has(email)) email = `${emailSlug(firstName)}.${emailSlug(lastName)}${i}@demo-business.example`;
    emails.add(email);
    users.push({
      id: random.uuid(),
      business_id: businessId,
      first_name: firstName,
      last_name: lastName,
      email,
      role: i === 0 ? 'BUSINESS_OWNER' : i <= 2 ? 'BUSINESS_ADMIN' : i === 3 ? 'BUSINESS_BOOKKEEPER' : 'BUSINESS_USER',
      status: i === count - 1 && count >= 5 ? 'INVITE_PENDING' : 'USER_ACTIVE',
      department_id: departments.at(i % departments.length).id,
      location_id: locations.at(i % locations.length).id,
      entity_id: entityId,
      manager_id: i === 0 ? null : users[0]!.id,
      is_manager: i <= 1,
      employee_id: `E${1001 + i}`,
      phone: random.chance(0.5) ? `+1212555${String(1000 + i).slice(-4)}` : null,
    });
  }
  return users;
}

function generateCards(random: SeededRandom, count: number, users: ObjectTable<User>, entityId: string, anchorMs: number): Card[] {
  return Array.from({ length: count }, (_, i) => {
    const holder = users.at(i % users.length);
    const purpose = ['card', 'travel card', 'software card'][Math.floor(i / users.length) % 3]!;
    return {
      id: random.uuid(),
      display_name: `${holder.first_name}'s ${purpose}`,
      last_four: String(random.int(0, 9999)).padStart(4, '0'),
      expiration: `${String(random.int(1, 12)).padStart(2, '0')}${random.int(27, 31)}`,
      cardholder_id: holder.id,
      cardholder_name: `${holder.first_name} ${holder.last_name}`,
      is_physical: i % 3 === 0,
      state: count >= 4 && i === count - 1 ? 'TERMINATED' : count >= 4 && i === count - 2 ? 'SUSPENDED' : 'ACTIVE',
      entity_id: entityId,
      created_at: formatRampTime(timeBefore(anchorMs, YEAR_MS + random.int(0, 300) * DAY_MS)),
    } satisfies Card;
  });
}

function generateVendors(random: SeededRandom, count: number, anchorMs: number): Vendor[] {
  return Array.from({ length: count }, (_, i) => {
    const template = MERCHANTS[i % MERCHANTS.length]!;
    const round = Math.floor(i / MERCHANTS.length);
    return {
      id: random.uuid(),
      name: round === 0 ? template.name : `${template.name} (${round + 1})`,
      is_active: true,
      country: template.country,
      created_at: formatRampTime(timeBefore(anchorMs, YEAR_MS + random.int(0, 365) * DAY_MS)),
      sk_category_id: template.categoryId,
      sk_category_name: template.categoryName,
      merchant_id: random.uuid(),
      total_spend_ytd: { amount: 0, currency_code: 'USD' },
      total_spend_all_time: { amount: 0, currency_code: 'USD' },
    };
  });
}

const STATE = Object.fromEntries(TRANSACTION_STATES.map((state, index) => [state, index])) as Record<(typeof TRANSACTION_STATES)[number], number>;
const SYNC = Object.fromEntries(SYNC_STATUSES.map((status, index) => [status, index])) as Record<(typeof SYNC_STATUSES)[number], number>;

/** A skewed amount in cents: mostly small purchases, a tail of large ones, a few refunds. */
export function randomAmountCents(random: SeededRandom): number {
  const dollars = Math.exp(Math.log(1.5) + random.next() * Math.log(4000));
  const cents = Math.max(1, Math.round(dollars * 100));
  return random.chance(0.02) ? -cents : cents;
}

/** Converts USD cents into the original currency's minor units at the catalog's fixed rate. */
export function originalMinorUnits(amountCents: number, currencyIndex: number): number {
  const currency = CURRENCIES[currencyIndex]!;
  return Math.round((amountCents / 100) * currency.perUsd * currency.minorPerMajor);
}

function fillTransactions(random: SeededRandom, table: TransactionTable, count: number, anchorMs: number): void {
  const vendorCount = table.lookups.vendors.length;
  const cardCount = table.lookups.cards.length;
  for (let i = 0; i < count; i++) {
    const id = random.uuid();
    const ageMs = random.int(0, 365 * 86_400 - 1) * 1000;
    const timeMs = timeBefore(anchorMs, ageMs);
    const awkward = i < AWKWARD_AMOUNTS_CENTS.length ? AWKWARD_AMOUNTS_CENTS[i]! : undefined;
    const amountCents = awkward ?? randomAmountCents(random);
    let state = STATE.CLEARED;
    if (awkward === undefined) {
      if (random.chance(0.03)) state = STATE.DECLINED;
      // Authorisations of the last two weeks are mostly still pending, so `mutate clear` has work.
      else if (ageMs < 14 * DAY_MS && random.chance(0.85)) state = STATE.PENDING;
    }
    const settledMs = state === STATE.CLEARED ? Math.min(anchorMs, timeMs + random.int(1, 3) * DAY_MS) : Number.NaN;
    let syncStatus = SYNC.NOT_SYNC_READY;
    let syncedAtMs = Number.NaN;
    if (state === STATE.CLEARED) {
      syncStatus = SYNC.SYNC_READY;
      if (ageMs > 60 * DAY_MS && random.chance(0.6)) {
        syncStatus = SYNC.SYNCED;
        syncedAtMs = Math.min(anchorMs, settledMs + 2 * DAY_MS);
      }
    }
    const currencyIndex = awkward === undefined && random.chance(0.06) ? random.int(1, CURRENCIES.length - 1) : 0;
    table.append({
      id,
      timeMs,
      settledMs,
      updatedMs: Math.max(timeMs, Number.isNaN(settledMs) ? 0 : settledMs, Number.isNaN(syncedAtMs) ? 0 : syncedAtMs),
      syncedAtMs,
      amountCents,
      originalMinor: originalMinorUnits(amountCents, currencyIndex),
      originalCurrency: currencyIndex,
      // Square the draw so a few vendors get most of the spend, as in real card data.
      vendorIndex: Math.floor(random.next() ** 2 * vendorCount),
      cardIndex: random.int(0, cardCount - 1),
      state,
      syncStatus,
      memoIndex: random.int(0, MEMOS.length - 1),
      receiptCount: state === STATE.CLEARED ? (random.chance(0.6) ? (random.chance(0.08) ? 2 : 1) : 0) : 0,
      cardPresent: random.chance(0.5),
    });
  }
  table.reorder();
}

function addVendorSpend(transactions: TransactionTable, vendors: ObjectTable<Vendor>, anchorMs: number): void {
  const yearStart = Date.UTC(new Date(anchorMs).getUTCFullYear(), 0, 1);
  const declined = STATE.DECLINED;
  for (let r = 0; r < transactions.length; r++) {
    if (transactions.state[r] === declined) continue;
    const vendor = vendors.at(transactions.vendorIndex[r]!);
    vendor.total_spend_all_time.amount += transactions.amountCents[r]!;
    if (transactions.timeMs[r]! >= yearStart) vendor.total_spend_ytd.amount += transactions.amountCents[r]!;
  }
}

const REIMBURSEMENT_STATE_WEIGHTS: readonly [ReimbursementState, number][] = [
  ['REIMBURSED', 0.5], ['APPROVED', 0.25], ['PENDING', 0.15], ['REJECTED', 0.07], ['CANCELED', 0.03],
];

function weightedPick<T>(random: SeededRandom, weights: readonly (readonly [T, number])[]): T {
  let draw = random.next();
  for (const [value, weight] of weights) {
    if (draw < weight) return value;
    draw -= weight;
  }
  return weights[weights.length - 1]![0];
}

/** Mileage reimbursement rate in cents per mile (IRS 2025: $0.70). */
const MILEAGE_CENTS_PER_MILE = 70;

export function generateReimbursement(random: SeededRandom, index: number, users: ObjectTable<User>, vendors: ObjectTable<Vendor>, entityId: string, transactionMs: number, updatedCapMs: number): Reimbursement {
  const id = random.uuid();
  const user = users.at(random.int(0, users.length - 1));
  const mileage = random.chance(0.15);
  const distance = mileage ? random.int(3, 400) : null;
  const awkward = [10, 20, 30][index];
  const amountCents = awkward ?? (distance !== null ? distance * MILEAGE_CENTS_PER_MILE : Math.abs(randomAmountCents(random)) % 80_000 + 500);
  const state = awkward !== undefined ? 'APPROVED' : weightedPick(random, REIMBURSEMENT_STATE_WEIGHTS);
  const submittedMs = Math.min(updatedCapMs, transactionMs + random.int(0, 3) * DAY_MS);
  const updatedMs = Math.min(updatedCapMs, submittedMs + random.int(0, 5) * DAY_MS);
  const synced = state === 'REIMBURSED' && random.chance(0.5);
  return {
    id,
    amount: amountCents / 100,
    currency: 'USD',
    original_reimbursement_amount: { amount: amountCents, currency_code: 'USD' },
    state,
    type: mileage ? 'MILEAGE' : 'OUT_OF_POCKET',
    direction: 'BUSINESS_TO_USER',
    merchant: mileage ? null : vendors.at(random.int(0, vendors.length - 1)).name,
    memo: MEMOS[random.int(0, MEMOS.length - 1)] ?? null,
    receipts: mileage ? [] : [random.uuid()],
    user_id: user.id,
    user_email: user.email,
    user_full_name: `${user.first_name} ${user.last_name}`,
    entity_id: entityId,
    transaction_date: formatRampTime(transactionMs),
    submitted_at: formatRampTime(submittedMs),
    created_at: formatRampTime(submittedMs),
    updated_at: formatRampTime(updatedMs),
    accounting_date: state === 'REIMBURSED' || state === 'APPROVED' ? formatRampTime(updatedMs) : null,
    sync_status: synced ? 'SYNCED' : state === 'REIMBURSED' || state === 'APPROVED' ? 'SYNC_READY' : 'NOT_SYNC_READY',
    synced_at: synced ? formatRampTime(updatedMs) : null,
    distance,
  };
}

function generateReimbursements(random: SeededRandom, count: number, users: ObjectTable<User>, vendors: ObjectTable<Vendor>, entityId: string, anchorMs: number): Reimbursement[] {
  return Array.from({ length: count }, (_, i) =>
    generateReimbursement(random, i, users, vendors, entityId, timeBefore(anchorMs, random.int(5, 365) * DAY_MS + random.int(0, 86_399) * 1000), anchorMs),
  );
}

export function generateBill(random: SeededRandom, index: number, vendors: ObjectTable<Vendor>, entityId: string, issuedMs: number, capMs: number): Bill {
  const vendor = vendors.at(random.int(0, vendors.length - 1));
  const amountCents = random.int(5_000, 2_000_000);
  const paid = random.chance(0.5);
  const dueMs = issuedMs + 30 * DAY_MS;
  const paidMs = Math.min(capMs, issuedMs + random.int(5, 29) * DAY_MS);
  const lineCount = random.int(1, 3);
  const lineAmounts: number[] = [];
  let remaining = amountCents;
  for (let line = 0; line < lineCount - 1; line++) {
    const part = Math.floor(remaining / (lineCount - line)) + random.int(-100, 100);
    lineAmounts.push(part);
    remaining -= part;
  }
  lineAmounts.push(remaining);
  const year = new Date(issuedMs).getUTCFullYear();
  return {
    id: random.uuid(),
    amount: { amount: amountCents, currency_code: 'USD' },
    status: paid ? 'PAID' : 'OPEN',
    approval_status: paid ? 'APPROVED' : weightedPick(random, [['APPROVED', 0.6], ['PENDING', 0.3], ['REJECTED', 0.1]] as const),
    due_at: formatRampTime(dueMs),
    issued_at: formatRampTime(issuedMs),
    paid_at: paid ? formatRampTime(paidMs) : null,
    created_at: formatRampTime(issuedMs + 3_600_000),
    invoice_number: `INV-${year}-${String(index + 1).padStart(5, '0')}`,
    invoice_currency: 'USD',
    memo: MEMOS[random.int(0, MEMOS.length - 1)] ?? null,
    vendor: { id: vendor.id, remote_name: vendor.name },
    payment: paid ? { amount: { amount: amountCents, currency_code: 'USD' }, payment_date: formatRampTime(paidMs), payment_method: 'ACH' } : null,
    line_items: lineAmounts.map((amount) => ({ amount: { amount, currency_code: 'USD' }, memo: null, accounting_field_selections: [] })),
    sync_status: paid && random.chance(0.4) ? 'BILL_AND_PAYMENT_SYNCED' : 'NOT_SYNCED',
    entity_id: entityId,
  };
}

function generateBills(random: SeededRandom, count: number, vendors: ObjectTable<Vendor>, entityId: string, anchorMs: number): Bill[] {
  return Array.from({ length: count }, (_, i) => generateBill(random, i, vendors, entityId, timeBefore(anchorMs, random.int(1, 180) * DAY_MS + random.int(0, 86_399) * 1000), anchorMs));
}
