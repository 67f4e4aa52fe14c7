/**
 * @module Deterministic changes to seeded records (`POST /__emulator/mutate`), for sync tests.
 *
 * Each batch draws from a stream keyed by the business, its seed and a per-business batch counter,
 * so a test that replays the same sequence of calls sees the same changes. Every changed record's
 * updated time moves strictly past every earlier one (and past "now"), so a client's
 * `updated_after` high-water mark always catches it.
 */
import { CURRENCIES, MEMOS, currencyIndexOf } from './catalog.ts';
import { billPayment, generateBill, generateReimbursement, originalMinorUnits, randomAmountCents } from './generate.ts';
import type { Bill, Reimbursement } from './models.ts';
import { SYNC_STATUSES, TRANSACTION_STATES, formatRampTime } from './models.ts';
import { SeededRandom } from './prng.ts';
import type { BusinessData } from './store.ts';

/** `archive`: bills only (Ramp's `DELETE /bills/{bill_id}`, "Archive a bill"). */
export type MutationKind = 'clear' | 'amount' | 'create' | 'archive';
export const MUTATION_KINDS: readonly MutationKind[] = ['clear', 'amount', 'create', 'archive'];
export type MutableResource = 'transactions' | 'reimbursements' | 'bills';
export const MUTABLE_RESOURCES: readonly MutableResource[] = ['transactions', 'reimbursements', 'bills'];

export interface MutationEvent {
  /** Ramp webhook event type (docs/ramp-behaviour.md#webhooks). */
  type: string;
  objectId: string;
}

export interface MutationResult {
  ids: string[];
  events: MutationEvent[];
}

const PENDING = TRANSACTION_STATES.indexOf('PENDING');
const CLEARED = TRANSACTION_STATES.indexOf('CLEARED');
const DECLINED = TRANSACTION_STATES.indexOf('DECLINED');
const SYNC_READY = SYNC_STATUSES.indexOf('SYNC_READY');
const NOT_SYNC_READY = SYNC_STATUSES.indexOf('NOT_SYNC_READY');

/**
 * The next whole second strictly after both `nowMs` and `latestMs`. Rounding down could land before
 * a client's own "before the mutation" timestamp (it has milliseconds), hiding the change from
 * `updated_after`; rounding up to the next second never does.
 */
function nextUpdateTime(nowMs: number, latestMs: number): number {
  return Math.floor(Math.max(nowMs, latestMs) / 1000) * 1000 + 1000;
}

/** Picks up to `count` distinct indices in [0, size) accepted by `eligible`, in draw order. */
function sampleIndices(random: SeededRandom, size: number, count: number, eligible: (index: number) => boolean): number[] {
  const chosen = new Set<number>();
  for (let attempt = 0; chosen.size < count && attempt < count * 20 + 100; attempt++) {
    const index = random.int(0, size - 1);
    if (eligible(index)) chosen.add(index);
  }
  return [...chosen];
}

function changedAmount(random: SeededRandom, cents: number): number {
  const delta = random.int(1, 5000) * (random.chance(0.5) ? 1 : -1);
  return cents + delta === 0 ? cents + delta + 1 : cents + delta;
}

export function mutateRecords(data: BusinessData, resource: MutableResource, kind: MutationKind, count: number, nowMs: number): MutationResult {
  data.mutationCount += 1;
  const random = new SeededRandom(`${data.id}:${data.seed}:mutation:${data.mutationCount}:${resource}:${kind}`);
  switch (resource) {
    case 'transactions':
      return mutateTransactions(data, kind, count, nowMs, random);
    case 'reimbursements':
      return mutateReimbursements(data, kind, count, nowMs, random);
    case 'bills':
      return mutateBills(data, kind, count, nowMs, random);
  }
}

function mutateTransactions(data: BusinessData, kind: MutationKind, count: number, nowMs: number, random: SeededRandom): MutationResult {
  const table = data.transactions;
  const updatedMs = nextUpdateTime(nowMs, table.maxUpdatedMs());
  const ids: string[] = [];
  const events: MutationEvent[] = [];
  if (kind === 'clear') {
    // The most recent pending authorisations settle first.
    for (let position = 0; position < table.length && ids.length < count; position++) {
      const r = table.recordAt(position);
      if (table.state[r] !== PENDING) continue;
      table.state[r] = CLEARED;
      table.settledMs[r] = updatedMs;
      table.syncStatus[r] = SYNC_READY;
      table.updatedMs[r] = updatedMs;
      const id = table.idOfRecord(r);
      ids.push(id);
      events.push({ type: 'transactions.cleared', objectId: id });
    }
  } else if (kind === 'amount') {
    for (const r of sampleIndices(random, table.length, count, (index) => table.state[index] !== DECLINED)) {
      const cents = changedAmount(random, table.amountCents[r]!);
      table.amountCents[r] = cents;
      table.originalMinor[r] = originalMinorUnits(cents, table.originalCurrency[r]!);
      table.updatedMs[r] = updatedMs;
      const id = table.idOfRecord(r);
      ids.push(id);
      // An amount change is a settlement adjustment when cleared, a re-authorisation when pending.
      events.push({ type: table.state[r] === PENDING ? 'transactions.authorized' : 'transactions.cleared', objectId: id });
    }
  } else {
    const { vendors, cards } = table.lookups;
    for (let i = 0; i < count; i++) {
      const id = random.uuid();
      const amountCents = Math.abs(randomAmountCents(random));
      const currencyIndex = random.chance(0.06) ? random.int(1, CURRENCIES.length - 1) : 0;
      const timeMs = Math.floor(nowMs / 1000) * 1000 - i * 1000;
      table.append({
        id,
        timeMs,
        settledMs: Number.NaN,
        updatedMs,
        syncedAtMs: Number.NaN,
        amountCents,
        originalMinor: originalMinorUnits(amountCents, currencyIndex),
        originalCurrency: currencyIndex,
        vendorIndex: random.int(0, vendors.length - 1),
        cardIndex: random.int(0, cards.length - 1),
        state: PENDING,
        syncStatus: NOT_SYNC_READY,
        memoIndex: random.int(0, MEMOS.length - 1),
        receiptCount: 0,
        cardPresent: random.chance(0.5),
      });
      ids.push(id);
      events.push({ type: 'transactions.authorized', objectId: id });
    }
    table.reorder();
  }
  return { ids, events };
}

function latestUpdate(items: readonly Reimbursement[]): number {
  let latest = 0;
  for (const item of items) latest = Math.max(latest, Date.parse(item.updated_at));
  return latest;
}

function mutateReimbursements(data: BusinessData, kind: MutationKind, count: number, nowMs: number, random: SeededRandom): MutationResult {
  const table = data.reimbursements;
  const updatedAt = formatRampTime(nextUpdateTime(nowMs, latestUpdate(table.all())));
  const changed: Reimbursement[] = [];
  const events: MutationEvent[] = [];
  if (kind === 'clear') {
    for (const item of table.all()) {
      if (changed.length >= count) break;
      if (item.state !== 'APPROVED') continue;
      item.state = 'REIMBURSED';
      item.payment_id = `RMB-PAY-${item.id.slice(0, 8)}`;
      item.accounting_date = updatedAt;
      item.sync_status = 'SYNC_READY';
      changed.push(item);
      events.push({ type: 'reimbursements.ready_to_sync', objectId: item.id });
    }
  } else if (kind === 'amount') {
    for (const index of sampleIndices(random, table.length, count, () => true)) {
      const item = table.at(index);
      // The payor's amount changes, in its currency (USD, or CAD for the Canadian subsidiary's); an
      // amount spent in another currency (paid in USD) keeps its currency at the catalog's rate.
      const payor = CURRENCIES[currencyIndexOf(item.currency)]!;
      const minor = Math.max(1, changedAmount(random, Math.round(item.amount * payor.minorPerMajor)));
      const original = item.original_reimbursement_amount;
      item.amount = minor / payor.minorPerMajor;
      item.original_reimbursement_amount = { amount: original.currency_code === item.currency ? minor : originalMinorUnits(minor, currencyIndexOf(original.currency_code)), currency_code: original.currency_code };
      if (item.payee_amount) item.payee_amount = { amount: minor, currency_code: item.currency };
      for (const line of item.line_items) line.amount = { ...item.original_reimbursement_amount };
      changed.push(item);
      const ready = item.state === 'APPROVED' || item.state === 'REIMBURSED';
      events.push({ type: ready ? 'reimbursements.ready_to_sync' : 'reimbursements.ready_for_review', objectId: item.id });
    }
  } else {
    const created: Reimbursement[] = [];
    for (let i = 0; i < count; i++) {
      const item = generateReimbursement(random, Number.MAX_SAFE_INTEGER, data.users, data.vendors, data.entityId, Math.floor(nowMs / 1000) * 1000 - i * 1000, Number.MAX_SAFE_INTEGER);
      Object.assign(item, { state: 'PENDING', sync_status: 'NOT_SYNC_READY', synced_at: null, accounting_date: null, payment_id: null, submitted_at: updatedAt, created_at: updatedAt });
      created.push(item);
      events.push({ type: 'reimbursements.ready_for_review', objectId: item.id });
    }
    table.add(created);
    for (const item of created) changed.push(item);
  }
  for (const item of changed) item.updated_at = updatedAt;
  if (kind !== 'create') table.resort();
  return { ids: changed.map((item) => item.id), events };
}

function mutateBills(data: BusinessData, kind: MutationKind, count: number, nowMs: number, random: SeededRandom): MutationResult {
  const table = data.bills;
  const changed: Bill[] = [];
  const events: MutationEvent[] = [];
  const now = formatRampTime(nowMs);
  // An archived bill stays as it was: Ramp cancels its payments in flight and refuses to archive a paid
  // one (DELETE /developer/v1/bills/{bill_id}), so it is never paid, and it is out of the list.
  if (kind === 'archive') {
    for (const bill of table.all()) {
      if (changed.length >= count) break;
      if (bill.status !== 'OPEN' || bill.archived_at !== null) continue;
      bill.archived_at = now;
      bill.payment = null;
      changed.push(bill);
    }
  } else if (kind === 'clear') {
    for (const bill of table.all()) {
      if (changed.length >= count) break;
      if (bill.status !== 'OPEN' || bill.archived_at !== null) continue;
      bill.status = 'PAID';
      bill.approval_status = 'APPROVED';
      bill.paid_at = now;
      bill.payment = billPayment(random, changed.length, bill.amount, nowMs);
      changed.push(bill);
      events.push({ type: 'bills.paid', objectId: bill.id });
    }
  } else if (kind === 'amount') {
    for (const index of sampleIndices(random, table.length, count, (i) => table.at(i).status === 'OPEN' && table.at(i).archived_at === null)) {
      const bill = table.at(index);
      const cents = Math.max(100, changedAmount(random, bill.amount.amount));
      const lastLine = bill.line_items[bill.line_items.length - 1]!;
      lastLine.amount.amount += cents - bill.amount.amount;
      bill.amount.amount = cents;
      changed.push(bill);
      events.push({ type: 'bills.updated', objectId: bill.id });
    }
  } else {
    const created: Bill[] = [];
    for (let i = 0; i < count; i++) {
      const bill = generateBill(random, table.length + i, data.vendors, data.users, data.entityId, Math.floor(nowMs / 1000) * 1000 - i * 1000, nowMs);
      Object.assign(bill, { status: 'OPEN', approval_status: 'PENDING', payment: null, sync_status: 'NOT_SYNCED', archived_at: null });
      delete bill.paid_at;
      created.push(bill);
      events.push({ type: 'bills.created', objectId: bill.id });
    }
    table.add(created);
    for (const item of created) changed.push(item);
  }
  return { ids: changed.map((bill) => bill.id), events };
}
