/**
 * @module The card account's ledger: monthly statements, the transfers that pay them, cashbacks,
 * and the business balance (Ramp's `Statement`, `Transfer`, `Cashback`, `BusinessBalance`).
 *
 * Statements cover the twelve calendar months before the anchor's month. Their charges, credits
 * and lines are computed from the transactions when read (cached until the next mutation), so a
 * cleared or re-priced transaction shows up on its statement; transfers and cashbacks are fixed at
 * seeding from the seeded figures. A cleared transaction settled inside a statement's period
 * carries that statement's id.
 */
import type { CurrencyAmount, SyncStatus } from './models.ts';
import { TRANSACTION_STATES, formatRampDate, formatRampTime } from './models.ts';
import { type SeededRandom, derivedUuid } from './prng.ts';
import type { TransactionTable } from './transactions.ts';

const CLEARED = TRANSACTION_STATES.indexOf('CLEARED');
const PENDING = TRANSACTION_STATES.indexOf('PENDING');
const DAY_MS = 86_400_000;

export class StatementPeriods {
  readonly ids: string[] = [];
  readonly starts: number[] = [];
  readonly ends: number[] = [];

  /** Oldest period first. */
  constructor(businessId: string, seed: number, anchorMs: number, months = 12) {
    const anchor = new Date(anchorMs);
    for (let k = months; k >= 1; k--) {
      const start = Date.UTC(anchor.getUTCFullYear(), anchor.getUTCMonth() - k, 1);
      const end = Date.UTC(anchor.getUTCFullYear(), anchor.getUTCMonth() - k + 1, 1);
      this.ids.push(derivedUuid(`${businessId}:${seed}:statement:${formatRampDate(start)}`));
      this.starts.push(start);
      this.ends.push(end);
    }
  }

  get length(): number {
    return this.ids.length;
  }

  /** Index of the period holding `ms`, or −1. */
  indexOf(ms: number): number {
    if (Number.isNaN(ms)) return -1;
    for (let k = 0; k < this.ids.length; k++) if (ms >= this.starts[k]! && ms < this.ends[k]!) return k;
    return -1;
  }
}

export interface Transfer {
  id: string;
  amount: CurrencyAmount;
  created_at: string;
  entity_id: string;
  payment_id?: string;
  status: 'COMPLETED' | 'CANCELED' | 'ERROR' | 'PROCESSING_BY_ODFI';
  sync_status: SyncStatus;
  /** Period the transfer pays into (−1: none). */
  periodIndex: number;
}

export interface Cashback {
  id: string;
  amount: CurrencyAmount;
  created_at: string;
  entity_id: string;
  sync_status: SyncStatus;
  periodIndex: number;
}

export interface TransactionAggregates {
  cardCleared: Float64Array;
  cardPending: Float64Array;
  periodCharges: number[];
  periodRefunds: number[];
  /** Record numbers of the cleared transactions settled in each period. */
  periodRecords: number[][];
  pendingTotal: number;
}

const cache = new WeakMap<TransactionTable, { key: string; value: TransactionAggregates }>();

/** One pass over the transactions, reused until the table changes (mutations bump `revision`). */
export function transactionAggregates(table: TransactionTable, periods: StatementPeriods, cardCount: number, revision: number): TransactionAggregates {
  const key = `${revision}:${table.length}`;
  const cached = cache.get(table);
  if (cached?.key === key) return cached.value;
  const value: TransactionAggregates = {
    cardCleared: new Float64Array(cardCount),
    cardPending: new Float64Array(cardCount),
    periodCharges: new Array<number>(periods.length).fill(0),
    periodRefunds: new Array<number>(periods.length).fill(0),
    periodRecords: Array.from({ length: periods.length }, () => []),
    pendingTotal: 0,
  };
  for (let r = 0; r < table.length; r++) {
    const cents = table.amountCents[r]!;
    if (table.state[r] === PENDING) {
      value.cardPending[table.cardIndex[r]!]! += cents;
      value.pendingTotal += cents;
      continue;
    }
    if (table.state[r] !== CLEARED) continue;
    value.cardCleared[table.cardIndex[r]!]! += cents;
    const k = periods.indexOf(table.settledMs[r]!);
    if (k < 0) continue;
    if (cents >= 0) value.periodCharges[k]! += cents;
    else value.periodRefunds[k]! -= cents;
    value.periodRecords[k]!.push(r);
  }
  cache.set(table, { key, value });
  return value;
}

export interface LedgerSeed {
  transfers: Transfer[];
  cashbacks: Cashback[];
}

/** 1.5 % cashback on each period's charges; each statement paid by a transfer five days after it closes. */
export function generateLedger(random: SeededRandom, periods: StatementPeriods, aggregates: TransactionAggregates, entityId: string, anchorMs: number, canadianEntityId: string): LedgerSeed {
  const transfers: Transfer[] = [];
  const cashbacks: Cashback[] = [];
  let ending = 0;
  for (let k = 0; k < periods.length; k++) {
    const cashback = Math.round(aggregates.periodCharges[k]! * 0.015);
    const payment = transfers.filter((transfer) => transfer.periodIndex === k && transfer.status === 'COMPLETED').reduce((sum, transfer) => sum + transfer.amount.amount, 0);
    ending = ending + aggregates.periodCharges[k]! - aggregates.periodRefunds[k]! - cashback - payment;
    if (cashback > 0) {
      cashbacks.push({
        id: random.uuid(),
        amount: { amount: cashback, currency_code: 'USD' },
        created_at: formatRampTime(periods.ends[k]! - 1000),
        entity_id: entityId,
        sync_status: k < periods.length - 3 ? 'SYNCED' : 'SYNC_READY',
        periodIndex: k,
      });
    }
    const paidMs = periods.ends[k]! + 5 * DAY_MS;
    if (paidMs >= anchorMs || ending <= 0) continue;
    const recent = paidMs > anchorMs - 20 * DAY_MS;
    transfers.push({
      id: random.uuid(),
      amount: { amount: ending, currency_code: 'USD' },
      created_at: formatRampTime(paidMs),
      entity_id: entityId,
      ...(recent ? {} : { payment_id: `ACH-${formatRampDate(paidMs).replaceAll('-', '')}-${random.int(1000, 9999)}` }),
      status: recent ? 'PROCESSING_BY_ODFI' : 'COMPLETED',
      sync_status: recent ? 'NOT_SYNC_READY' : k % 2 === 0 ? 'SYNCED' : 'SYNC_READY',
      periodIndex: k + 1 < periods.length ? k + 1 : -1,
    });
  }
  // A payment that bounced and one that was cancelled: they move no money.
  if (transfers.length > 0) {
    const first = transfers[0]!;
    transfers.push({ ...first, id: random.uuid(), status: 'ERROR', sync_status: 'NOT_SYNC_READY', periodIndex: -1, created_at: formatRampTime(Date.parse(first.created_at) - DAY_MS) });
    delete transfers[transfers.length - 1]!.payment_id;
    // The cancelled one was the Canadian subsidiary's, in its currency (CAD); statements are USD.
    transfers.push({
      ...first, id: random.uuid(), amount: { amount: first.amount.amount, currency_code: 'CAD' }, entity_id: canadianEntityId, status: 'CANCELED', sync_status: 'NOT_SYNC_READY', periodIndex: -1,
      created_at: formatRampTime(Date.parse(first.created_at) - 2 * DAY_MS),
    });
    delete transfers[transfers.length - 1]!.payment_id;
  }
  return { transfers, cashbacks };
}

export function transferView(transfer: Transfer): Record<string, unknown> {
  const { periodIndex: _period, ...wire } = transfer;
  return wire;
}

export function cashbackView(cashback: Cashback): Record<string, unknown> {
  const { periodIndex: _period, ...wire } = cashback;
  return wire;
}

export interface StatementSources {
  periods: StatementPeriods;
  aggregates: () => TransactionAggregates;
  transactions: TransactionTable;
  transfers: readonly Transfer[];
  cashbacks: readonly Cashback[];
  entityId: string;
}

/** A statement's position in its table is its period index, newest first. */
export function statementView(sources: StatementSources, k: number): Record<string, unknown> {
  const { periods, transactions, entityId } = sources;
  const aggregates = sources.aggregates();
  const usd = (amount: number): CurrencyAmount => ({ amount, currency_code: 'USD' });
  let opening = 0;
  let figures = { charges: 0, credits: 0, payments: 0 };
  for (let p = 0; p <= k; p++) {
    const cashback = sources.cashbacks.filter((item) => item.periodIndex === p).reduce((sum, item) => sum + item.amount.amount, 0);
    const payments = sources.transfers.filter((item) => item.periodIndex === p && item.status === 'COMPLETED').reduce((sum, item) => sum + item.amount.amount, 0);
    figures = { charges: aggregates.periodCharges[p]!, credits: aggregates.periodRefunds[p]! + cashback, payments };
    if (p < k) opening = opening + figures.charges - figures.credits - figures.payments;
  }
  const ending = opening + figures.charges - figures.credits - figures.payments;
  const lines: Record<string, unknown>[] = aggregates.periodRecords[k]!.map((r) => ({
    id: transactions.idOfRecord(r),
    type: 'CARD_TRANSACTION',
    created_at: formatRampTime(transactions.timeMs[r]!),
    cleared_at: formatRampTime(transactions.settledMs[r]!),
  }));
  for (const item of sources.cashbacks) if (item.periodIndex === k) lines.push({ id: item.id, type: 'CASHBACK', created_at: item.created_at });
  for (const item of sources.transfers) if (item.periodIndex === k && item.status === 'COMPLETED') lines.push({ id: item.id, type: 'TRANSFER_PAYMENT', created_at: item.created_at, cleared_at: item.created_at });
  const balances = { opening_balance: usd(opening), charges: usd(figures.charges), credits: usd(figures.credits), payments: usd(figures.payments), ending_balance: usd(ending) };
  return {
    id: periods.ids[k],
    start_date: formatRampTime(periods.starts[k]!),
    end_date: formatRampTime(periods.ends[k]! - 1000),
    ...balances,
    balance_sections: [{ id: derivedUuid(`${periods.ids[k]}:section`), entity_id: entityId, ...balances }],
    statement_lines: lines,
    ...(k > 0 ? { preceding_statement_id: periods.ids[k - 1] } : {}),
    ...(k % 3 !== 1 ? { statement_url: `https://statements.ramp-emulator.invalid/${periods.ids[k]}.pdf` } : {}),
  };
}

export function balanceView(sources: StatementSources, limitCents: number): Record<string, unknown> {
  const aggregates = sources.aggregates();
  const last = sources.periods.length - 1;
  const statement = last >= 0 ? (statementView(sources, last).ending_balance as CurrencyAmount).amount : 0;
  const dollars = (cents: number): number => Math.round(cents) / 100;
  const unpaid = statement + aggregates.pendingTotal;
  return {
    card_limit: dollars(limitCents),
    global_limit: dollars(limitCents),
    max_balance: dollars(limitCents),
    statement_balance: dollars(statement),
    card_balance_excluding_pending: dollars(statement),
    card_balance_including_pending: dollars(unpaid),
    balance_including_pending: dollars(unpaid),
    available_card_limit: dollars(limitCents - unpaid),
    float_balance_excluding_pending: 0,
    prev_billing_date: last >= 0 ? formatRampDate(sources.periods.ends[last]!) : formatRampDate(0),
    next_billing_date: last >= 0 ? formatRampDate(Date.UTC(new Date(sources.periods.ends[last]!).getUTCFullYear(), new Date(sources.periods.ends[last]!).getUTCMonth() + 1, 1)) : formatRampDate(0),
  };
}

