/**
 * @module Deterministic demo data for one business.
 *
 * Every resource draws from its own seeded stream (`<business>:<seed>:<resource>`), so the same
 * (business, seed, counts) always yields the same ids, amounts and times, and changing one count
 * does not reshuffle the others. Times are spread over the year before a fixed anchor (default
 * 2026-10-01T00:00:00Z) rather than "now", so data does not drift between runs.
 */
import { AWKWARD_AMOUNTS_CENTS, CURRENCIES, currencyIndexOf, DEPARTMENT_NAMES, FIRST_NAMES, LAST_NAMES, LOCATION_NAMES, MEMOS, MERCHANTS } from './catalog.ts';
import type { Bill, BillFieldSelection, BillPayment, BusinessProfile, CurrencyAmount, Card, Department, FieldSelection, Location, Reimbursement, ReimbursementState, User, Vendor } from './models.ts';
import { SYNC_STATUSES, TRANSACTION_STATES, formatRampDate, formatRampTime } from './models.ts';
import { SeededRandom } from './prng.ts';
import { generateAccountingSetup, type AccountingFieldOption, type GlAccount } from './accounting.ts';
import { AccountingBook, chartOf } from './accounting-book.ts';
import { MemoTable, ReceiptTable } from './documents.ts';
import { StatementPeriods, balanceView, cashbackView, generateLedger, statementView, transactionAggregates, transferView, type Cashback, type TransactionAggregates, type Transfer } from './ledger.ts';
import { generateEntities, generateLimits, generateSpendPrograms, generateVendorContacts, limitView, merchantsOf, secondaryEntityId, type Entity, type Limit, type Merchant, type SpendProgram } from './spend.ts';
import type { BusinessData } from './store.ts';
import { ObjectTable, byTimeDescending } from './table.ts';
import { TransactionTable, type TransactionLinks } from './transactions.ts';

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
/** The card program some cards were issued from (card programs themselves are not emulated). */
const CARD_PROGRAM_ID = 'c0a7d2e4-5b6f-4a1c-9d3e-2f4b6a8c0e1d';
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
  const vendorContacts = generateVendorContacts(stream('vendor-contacts'), vendors);

  const transactions = new TransactionTable({ entityId, cards, users, vendors, departments, locations }, counts.transactions);
  fillTransactions(stream('transactions'), transactions, counts.transactions, anchorMs);
  addVendorSpend(transactions, vendors, anchorMs);

  const reimbursements = new ObjectTable<Reimbursement>(
    generateReimbursements(stream('reimbursements'), counts.reimbursements, users, vendors, entityId, secondaryEntityId(businessId, seed), anchorMs),
    byTimeDescending((item) => item.transaction_date),
  );
  const bills = new ObjectTable<Bill>(generateBills(stream('bills'), counts.bills, vendors, users, entityId, anchorMs), byTimeDescending((item) => item.created_at));

  const entities = new ObjectTable<Entity>(generateEntities(businessId, seed, entityId, locations.all().map((location) => location.id), anchorMs - 2 * YEAR_MS));
  const spendPrograms = generateSpendPrograms(stream('spend-programs'));
  const limitItems = generateLimits(stream('limits'), cards, users, spendPrograms, entityId);
  const sharedLimit = limitItems.find((limit) => limit.cardIndex < 0);
  reimbursements.all().forEach((item, i) => {
    if (sharedLimit && i % 3 === 0) item.spend_limit_id = sharedLimit.id;
  });
  const accounting = generateAccountingSetup(businessId, seed, vendors, anchorMs);
  const book = new AccountingBook({ wire: accounting.connection, kind: 'api', chart: chartOf(accounting) });
  const periods = new StatementPeriods(businessId, seed, anchorMs);
  const revision = { value: 0 };
  const aggregates = (): TransactionAggregates => transactionAggregates(transactions, periods, cards.length, revision.value);
  const ledger = generateLedger(stream('ledger'), periods, aggregates(), entityId, anchorMs, secondaryEntityId(businessId, seed));
  transactions.link(transactionLinks(cards, limitItems, periods, accounting.accounts, accounting.options[0]));

  const byCreatedDescending = byTimeDescending((item: { id: string; created_at: string }) => item.created_at);
  const transfers = new ObjectTable<Transfer>(ledger.transfers, byCreatedDescending, transferView);
  const cashbacks = new ObjectTable<Cashback>(ledger.cashbacks, byCreatedDescending, cashbackView);
  const statementSources = { periods, aggregates, transactions, transfers: ledger.transfers, cashbacks: ledger.cashbacks, entityId };
  const statementItems = periods.ids.map((id, k) => ({ id, k, startMs: periods.starts[k]!, endMs: periods.ends[k]! })).reverse();
  const documentSources = { transactions, reimbursements, revision: () => revision.value };

  return {
    id: businessId, seed, anchorMs, profile, entityId, departments, locations, users, cards, vendors, transactions,
    reimbursements, bills, accountingSyncs: new Map(),
    get mutationCount() {
      return revision.value;
    },
    set mutationCount(value: number) {
      revision.value = value;
    },
    vendorContacts,
    merchants: new ObjectTable<Merchant>(merchantsOf(vendors)),
    entities,
    spendPrograms: new ObjectTable<SpendProgram>(spendPrograms),
    limits: new ObjectTable<Limit>(limitItems, undefined, limitView((cardIndex) => ({ cleared: aggregates().cardCleared[cardIndex]!, pending: aggregates().cardPending[cardIndex]! }))),
    transfers,
    cashbacks,
    statements: new ObjectTable(statementItems, undefined, (item) => statementView(statementSources, item.k)),
    balance: () => balanceView(statementSources, profile.initial_approved_limit),
    receipts: new ReceiptTable(documentSources),
    memos: new MemoTable(documentSources),
    accounting: book,
    get accountingAccounts() {
      return book.chart.accounts;
    },
    get accountingFields() {
      return book.chart.fields;
    },
    get accountingFieldOptions() {
      return book.chart.options;
    },
    get accountingVendors() {
      return book.chart.vendors;
    },
    get accountingConnection() {
      return book.active?.wire ?? null;
    },
    accountingSyncFailures: new Map(),
  };
}


/** Ramp category → GL account (index into accounting.ts's chart). */
const GL_BY_CATEGORY = new Map<number, number>([[1, 0], [22, 1], [3, 2], [18, 2], [41, 2], [40, 3], [27, 4], [12, 4], [31, 5], [35, 6], [9, 7]]);

function transactionLinks(cards: ObjectTable<Card>, limits: readonly Limit[], periods: StatementPeriods, accounts: readonly GlAccount[], classOption: AccountingFieldOption | undefined): TransactionLinks {
  const limitOfCard = new Map(limits.filter((limit) => limit.cardIndex >= 0).map((limit) => [limit.cardIndex, limit]));
  const categoryInfo = { id: 'gl', external_id: 'Category', name: 'Category', type: 'GL_ACCOUNT' };
  const glSelections = new Map<number, FieldSelection>();
  for (const [category, index] of GL_BY_CATEGORY) {
    const account = accounts[index];
    if (account) glSelections.set(category, { id: account.ramp_id, external_id: account.id, name: account.name, type: 'GL_ACCOUNT', category_info: categoryInfo });
  }
  return {
    limitIdOfCard: cards.all().map((_, i) => limitOfCard.get(i)?.id),
    spendProgramIdOfCard: cards.all().map((_, i) => limitOfCard.get(i)?.spend_program_id),
    statementIdAt: (ms) => periods.ids[periods.indexOf(ms)],
    glSelectionOf: (category) => glSelections.get(category),
    classSelection: classOption && {
      id: classOption.ramp_id,
      external_id: classOption.id,
      name: classOption.value,
      type: 'OTHER',
      category_info: { id: classOption.field_ramp_id, external_id: 'FIELD-1', name: 'Class', type: 'OTHER' },
    },
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
    is_integrated_with_slack: false,
    is_reimbursements_enabled: true,
    limit_locked: false,
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
    // The newest invitee has no department or location yet (both nullable in Ramp's schema).
    const unplaced = i === count - 1 && count >= 5;
    users.push({
      id: random.uuid(),
      business_id: businessId,
      first_name: firstName,
      last_name: lastName,
      email,
      role: i === 0 ? 'BUSINESS_OWNER' : i <= 2 ? 'BUSINESS_ADMIN' : i === 3 ? 'BUSINESS_BOOKKEEPER' : 'BUSINESS_USER',
      status: i === count - 1 && count >= 5 ? 'INVITE_PENDING' : 'USER_ACTIVE',
      department_id: unplaced ? null : departments.at(i % departments.length).id,
      location_id: unplaced ? null : locations.at(i % locations.length).id,
      entity_id: entityId,
      manager_id: i === 0 ? null : users[0]!.id,
      is_manager: i <= 1,
      ...(i % 4 === 3 ? {} : { employee_id: `E${1001 + i}` }),
      ...(random.chance(0.5) ? { phone: `+1212555${String(1000 + i).slice(-4)}` } : {}),
      custom_fields: i % 3 === 0 ? [{ name: 'Cost center', value: `CC-${100 + (i % 7)}` }] : [],
    });
  }
  return users;
}

function generateCards(random: SeededRandom, count: number, users: ObjectTable<User>, entityId: string, anchorMs: number): Card[] {
  return Array.from({ length: count }, (_, i) => {
    const holder = users.at(i % users.length);
    const purpose = ['card', 'travel card', 'software card'][Math.floor(i / users.length) % 3]!;
    const physical = i % 3 === 0;
    const createdMs = timeBefore(anchorMs, YEAR_MS + random.int(0, 300) * DAY_MS);
    return {
      id: random.uuid(),
      display_name: `${holder.first_name}'s ${purpose}`,
      last_four: String(random.int(0, 9999)).padStart(4, '0'),
      expiration: `${String(random.int(1, 12)).padStart(2, '0')}${random.int(27, 31)}`,
      cardholder_id: holder.id,
      cardholder_name: `${holder.first_name} ${holder.last_name}`,
      card_program_id: i % 4 === 1 ? CARD_PROGRAM_ID : null,
      has_program_overridden: i % 8 === 5,
      is_physical: physical,
      state: count >= 4 && i === count - 1 ? 'TERMINATED' : count >= 4 && i === count - 2 ? 'SUSPENDED' : 'ACTIVE',
      entity_id: entityId,
      created_at: formatRampTime(createdMs),
      spending_restrictions: {
        amount: random.int(1, 50) * 1000,
        interval: i % 2 === 0 ? 'MONTHLY' : 'TOTAL',
        categories: [],
        blocked_categories: i % 5 === 0 ? [3] : [],
        suspended: count >= 4 && i === count - 2,
        ...(i % 3 === 1 ? { transaction_amount_limit: 2500 } : {}),
      },
      ...(physical
        ? {
            fulfillment: {
              fulfillment_status: 'DELIVERED',
              cardholder_uuid: holder.id,
              shipping_date: formatRampTime(createdMs + 2 * DAY_MS),
              shipping: {
                method: null,
                recipient_address_verification_state: 'VERIFIED',
                recipient_address: {
                  address1: '28 W 23rd St', address2: null, city: 'New York', country: 'US', first_name: holder.first_name, last_name: holder.last_name,
                  phone: null, postal_code: '10010', state: 'NY',
                },
                return_address: null,
              },
            },
          }
        : {}),
    } satisfies Card;
  });
}

function generateVendors(random: SeededRandom, count: number, anchorMs: number): Vendor[] {
  return Array.from({ length: count }, (_, i) => {
    const template = MERCHANTS[i % MERCHANTS.length]!;
    const round = Math.floor(i / MERCHANTS.length);
    const usd = (): { amount: number; currency_code: string } => ({ amount: 0, currency_code: 'USD' });
    return {
      id: random.uuid(),
      name: round === 0 ? template.name : `${template.name} (${round + 1})`,
      is_active: i % 11 !== 10,
      is_deletable: i % 6 === 5,
      country: template.country,
      created_at: formatRampTime(timeBefore(anchorMs, YEAR_MS + random.int(0, 365) * DAY_MS)),
      sk_category_id: template.categoryId,
      sk_category_name: template.categoryName,
      merchant_id: random.uuid(),
      // Vendors synced to the ERP carry its id; the rest are not linked yet.
      accounting_vendor_remote_id: i % 3 === 2 ? null : `ERP-V-${1000 + i}`,
      contacts: [],
      ...(i % 2 === 0 ? { vendor_type: 'BUSINESS' as const } : {}),
      ...(i % 4 === 0
        ? { address: { address_line_1: `${100 + i} Market St`, city: template.country === 'US' ? 'San Francisco' : 'Berlin', country: template.country, postal_code: '94105', ...(template.country === 'US' ? { state: 'CA' } : {}) } }
        : {}),
      total_spend_ytd: usd(),
      total_spend_all_time: usd(),
      total_spend_last_30_days: usd(),
      total_spend_last_365_days: usd(),
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
    const drawnCurrency = awkward === undefined && random.chance(0.06) ? random.int(1, CURRENCIES.length - 1) : 0;
    // The first rows after the awkward amounts settle in each other currency (JPY: no minor unit), so
    // every dataset of 14 or more has them; the draw above is still made so the stream does not shift.
    const foreign = i - AWKWARD_AMOUNTS_CENTS.length + 1;
    const settledCurrency = foreign >= 1 && foreign < CURRENCIES.length ? foreign : 0;
    const currencyIndex = settledCurrency || drawnCurrency;
    table.append({
      id,
      timeMs,
      settledMs,
      updatedMs: Math.max(timeMs, Number.isNaN(settledMs) ? 0 : settledMs, Number.isNaN(syncedAtMs) ? 0 : syncedAtMs),
      syncedAtMs,
      amountCents,
      originalMinor: originalMinorUnits(amountCents, currencyIndex),
      originalCurrency: currencyIndex,
      settledCurrency,
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
    const cents = transactions.amountCents[r]!;
    const time = transactions.timeMs[r]!;
    vendor.total_spend_all_time.amount += cents;
    if (time >= yearStart) vendor.total_spend_ytd.amount += cents;
    if (time >= anchorMs - 30 * DAY_MS) vendor.total_spend_last_30_days.amount += cents;
    if (time >= anchorMs - 365 * DAY_MS) vendor.total_spend_last_365_days.amount += cents;
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
  const vendor = mileage ? undefined : vendors.at(random.int(0, vendors.length - 1));
  const memo = MEMOS[random.int(0, MEMOS.length - 1)] ?? null;
  const amount = { amount: amountCents, currency_code: 'USD' };
  return {
    id,
    amount: amountCents / 100,
    currency: 'USD',
    original_reimbursement_amount: amount,
    payee_amount: state === 'REJECTED' || state === 'CANCELED' ? null : { ...amount },
    state,
    type: mileage ? 'MILEAGE' : 'OUT_OF_POCKET',
    direction: 'BUSINESS_TO_USER',
    ...(vendor ? { merchant: vendor.name } : {}),
    merchant_id: vendor && index % 5 !== 4 ? vendor.merchant_id : null,
    ...(memo === null ? {} : { memo }),
    receipts: mileage ? [] : [random.uuid()],
    line_items: [{ amount: { ...amount }, accounting_field_selections: [], ...(memo === null ? {} : { memo }) }],
    accounting_field_selections: [],
    user_id: user.id,
    user_email: user.email,
    user_full_name: `${user.first_name} ${user.last_name}`,
    entity_id: entityId,
    transaction_date: formatRampDate(transactionMs),
    submitted_at: state === 'PENDING' && index % 4 === 3 ? null : formatRampTime(submittedMs),
    created_at: formatRampTime(submittedMs),
    updated_at: formatRampTime(updatedMs),
    accounting_date: state === 'REIMBURSED' || state === 'APPROVED' ? formatRampTime(updatedMs) : null,
    sync_status: synced ? 'SYNCED' : state === 'REIMBURSED' || state === 'APPROVED' ? 'SYNC_READY' : 'NOT_SYNC_READY',
    synced_at: synced ? formatRampTime(updatedMs) : null,
    distance,
    start_location: mileage ? '28 W 23rd St, New York, NY' : null,
    end_location: mileage ? 'JFK Airport, Queens, NY' : null,
    waypoints: mileage && index % 2 === 0 ? ['Brooklyn Bridge, New York, NY'] : [],
    payment_id: state === 'REIMBURSED' ? `RMB-PAY-${id.slice(0, 8)}` : null,
    spend_limit_id: null,
  };
}

function generateReimbursements(random: SeededRandom, count: number, users: ObjectTable<User>, vendors: ObjectTable<Vendor>, entityId: string, canadianEntityId: string, anchorMs: number): Reimbursement[] {
  const items = Array.from({ length: count }, (_, i) =>
    generateReimbursement(random, i, users, vendors, entityId, timeBefore(anchorMs, random.int(5, 365) * DAY_MS + random.int(0, 86_399) * 1000), anchorMs),
  );
  // Two after the awkward ones are in other currencies (no draw, so the stream does not shift): one
  // the Canadian subsidiary pays in CAD, one spent in JPY and paid back in USD.
  if (items[3]) paidIn(items[3], 'CAD', canadianEntityId);
  if (items[4]) spentIn(items[4], 'JPY');
  return items;
}

/**
 * A reimbursement paid in another currency by the entity that uses it: its amount (major units, as
 * Ramp's legacy field), `currency`, original, payee and line amounts are all in that currency
 * (developer-api.json, Reimbursement: `amount`/`currency` are what and in what the payor pays).
 */
function paidIn(item: Reimbursement, code: string, entityId: string): void {
  const currency = CURRENCIES[currencyIndexOf(code)]!;
  const minor = item.original_reimbursement_amount.amount;
  item.entity_id = entityId;
  item.currency = code;
  item.amount = minor / currency.minorPerMajor;
  item.original_reimbursement_amount = { amount: minor, currency_code: code };
  if (item.payee_amount) item.payee_amount = { amount: minor, currency_code: code };
  for (const line of item.line_items) line.amount = { amount: minor, currency_code: code };
}

/** A reimbursement spent in another currency and paid in USD: the original and line amounts are in the spent currency. */
function spentIn(item: Reimbursement, code: string): void {
  const original = { amount: originalMinorUnits(item.original_reimbursement_amount.amount, currencyIndexOf(code)), currency_code: code };
  item.original_reimbursement_amount = original;
  for (const line of item.line_items) line.amount = { ...original };
}

/** The ERP's GL account id a bill line is coded to (a fixed chart, see accounting.ts). */
const BILL_GL_ACCOUNTS: readonly [string, string][] = [['QBO-81', 'Software & SaaS'], ['QBO-87', 'Professional Services'], ['QBO-84', 'Office Supplies']];

function billSelection(index: number): BillFieldSelection {
  const [externalId, name] = BILL_GL_ACCOUNTS[index % BILL_GL_ACCOUNTS.length]!;
  return { id: externalId, external_id: externalId, name, category_info: { id: 'gl', external_id: 'Category', name: 'Category', type: 'GL_ACCOUNT' } };
}

export function generateBill(random: SeededRandom, index: number, vendors: ObjectTable<Vendor>, users: ObjectTable<User>, entityId: string, issuedMs: number, capMs: number): Bill {
  const vendor = vendors.at(random.int(0, vendors.length - 1));
  const owner = users.at(random.int(0, Math.min(users.length, 4) - 1));
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
  const memo = MEMOS[random.int(0, MEMOS.length - 1)] ?? null;
  const coded = index % 4 !== 3;
  const contact = vendor.contacts[0];
  const bill: Bill = {
    id: random.uuid(),
    amount: { amount: amountCents, currency_code: 'USD' },
    status: paid ? 'PAID' : 'OPEN',
    approval_status: paid ? 'APPROVED' : weightedPick(random, [['APPROVED', 0.6], ['PENDING', 0.3], ['REJECTED', 0.1]] as const),
    accounting_date: formatRampTime(issuedMs),
    accounting_field_selections: coded ? [billSelection(index)] : [],
    archived_at: !paid && index % 9 === 8 ? formatRampTime(Math.min(capMs, issuedMs + 2 * DAY_MS)) : null,
    bill_owner: { id: owner.id, first_name: owner.first_name, last_name: owner.last_name },
    due_at: formatRampTime(dueMs),
    issued_at: formatRampTime(issuedMs),
    created_at: formatRampTime(issuedMs + 3_600_000),
    invoice_number: `INV-${year}-${String(index + 1).padStart(5, '0')}`,
    invoice_currency: 'USD',
    invoice_urls: index % 5 === 4 ? [] : [`https://invoices.ramp-emulator.invalid/${year}/${index + 1}.pdf`],
    fx_conversion_rate: '1.0',
    ...(memo === null ? {} : { memo }),
    vendor: { id: vendor.id, name: vendor.name, remote_name: vendor.name, type: vendor.vendor_type ?? 'BUSINESS' },
    vendor_contact_id: contact ?? null,
    payment: paid ? billPayment(random, index, { amount: amountCents, currency_code: 'USD' }, paidMs) : null,
    line_items: lineAmounts.map((amount, line) => ({
      amount: { amount, currency_code: 'USD' },
      accounting_field_selections: coded ? [billSelection(index + line)] : [],
      ...(line === 0 && memo !== null ? { memo } : {}),
    })),
    inventory_line_items: [],
    sync_status: paid && random.chance(0.4) ? 'BILL_AND_PAYMENT_SYNCED' : 'NOT_SYNCED',
    entity_id: entityId,
  };
  if (paid) bill.paid_at = formatRampTime(paidMs);
  return bill;
}

/** A bill payment: mostly ACH from the operating account, some by check, a few recorded as paid outside Ramp. */
export function billPayment(random: SeededRandom, index: number, billAmount: CurrencyAmount, paidMs: number): BillPayment {
  const amount = { ...billAmount };
  if (index % 7 === 6) {
    return { amount, details: { manual_payment_method: 'PAID_IN_ERP' }, effective_date: null, payment_date: formatRampTime(paidMs), payment_method: 'PAID_MANUALLY', trace_id: null };
  }
  const check = index % 5 === 2;
  return {
    amount,
    details: { approval_status: 'APPROVED', source_bank_account_id: null, vendor_account_id: index % 2 === 0 ? random.uuid() : null },
    effective_date: formatRampTime(paidMs + 2 * DAY_MS),
    payment_date: formatRampTime(paidMs),
    payment_method: check ? 'CHECK' : 'ACH',
    trace_id: check ? null : { descriptor: 'RAMP BILL PAY', trace_id: String(random.int(100_000_000, 999_999_999)) },
  };
}

function generateBills(random: SeededRandom, count: number, vendors: ObjectTable<Vendor>, users: ObjectTable<User>, entityId: string, anchorMs: number): Bill[] {
  const bills = Array.from({ length: count }, (_, i) => generateBill(random, i, vendors, users, entityId, timeBefore(anchorMs, random.int(1, 180) * DAY_MS + random.int(0, 86_399) * 1000), anchorMs));
  // Some vendors invoice in their own currency (no draw, so the stream does not shift): the first
  // paid bill in JPY (no minor unit), the second in GBP, the first open one in EUR.
  const paid = bills.filter((bill) => bill.payment !== null);
  const open = bills.filter((bill) => bill.payment === null && bill.archived_at === null);
  if (paid[0]) invoicedIn(paid[0], 'JPY');
  if (paid[1]) invoicedIn(paid[1], 'GBP');
  if (open[0]) invoicedIn(open[0], 'EUR');
  return bills;
}

/**
 * A bill invoiced in another currency: its amount, line amounts and payment are that currency's minor
 * units (the seeded integers read as such), `invoice_currency` names it and `fx_conversion_rate` is
 * the rate to the payer's USD (developer-api.json, Bill).
 */
function invoicedIn(bill: Bill, code: string): void {
  const currency = CURRENCIES[currencyIndexOf(code)]!;
  bill.amount = { amount: bill.amount.amount, currency_code: code };
  for (const line of bill.line_items) line.amount = { amount: line.amount.amount, currency_code: code };
  if (bill.payment) bill.payment.amount = { ...bill.amount };
  bill.invoice_currency = code;
  bill.fx_conversion_rate = String(Number((1 / currency.perUsd).toFixed(6)));
}
