/**
 * @module Receipts and memos (Ramp's `Receipt` and `Memo`), derived from the transactions and
 * reimbursements that carry them rather than stored twice.
 *
 * Both are index views rebuilt when the underlying tables change (a mutation bumps the revision),
 * so a page still costs O(page): receipts of transactions come first in transaction list order,
 * then receipts of reimbursements (which have no `transaction_id`).
 */
import type { Reimbursement } from './models.ts';
import { MEMOS } from './catalog.ts';
import { formatRampTime } from './models.ts';
import type { ListableTable, ObjectTable } from './table.ts';
import { receiptIds, type TransactionTable } from './transactions.ts';

interface Sources {
  transactions: TransactionTable;
  reimbursements: ObjectTable<Reimbursement>;
  revision: () => number;
}

abstract class DerivedTable implements ListableTable {
  #key = '';
  protected readonly sources: Sources;

  constructor(sources: Sources) {
    this.sources = sources;
  }

  protected fresh(): void {
    const { transactions, reimbursements, revision } = this.sources;
    const key = `${revision()}:${transactions.length}:${reimbursements.length}`;
    if (key === this.#key) return;
    this.#key = key;
    this.rebuild();
  }

  protected abstract rebuild(): void;
  abstract get length(): number;
  abstract idAt(position: number): string;
  abstract positionOf(id: string): number | undefined;
  abstract materialise(position: number): Record<string, unknown>;
}

export class ReceiptTable extends DerivedTable {
  #ids: string[] = [];
  /** Transaction record of each receipt, or −1 for a reimbursement's receipt. */
  #records: number[] = [];
  #reimbursementOf: (Reimbursement | undefined)[] = [];
  #positionById = new Map<string, number>();

  protected rebuild(): void {
    const { transactions, reimbursements } = this.sources;
    this.#ids = [];
    this.#records = [];
    this.#reimbursementOf = [];
    for (let position = 0; position < transactions.length; position++) {
      const r = transactions.recordAt(position);
      const count = transactions.receiptCount[r]!;
      if (count === 0) continue;
      for (const id of receiptIds(transactions.idOfRecord(r), count)) {
        this.#ids.push(id);
        this.#records.push(r);
        this.#reimbursementOf.push(undefined);
      }
    }
    for (const item of reimbursements.all()) {
      for (const id of item.receipts) {
        this.#ids.push(id);
        this.#records.push(-1);
        this.#reimbursementOf.push(item);
      }
    }
    this.#positionById = new Map(this.#ids.map((id, position) => [id, position]));
  }

  get length(): number {
    this.fresh();
    return this.#ids.length;
  }

  idAt(position: number): string {
    this.fresh();
    return this.#ids[position]!;
  }

  positionOf(id: string): number | undefined {
    this.fresh();
    return this.#positionById.get(id);
  }

  /** Receipt positions of one transaction (for the `transaction_id` filter). */
  transactionRecordAt(position: number): number {
    this.fresh();
    return this.#records[position]!;
  }

  createdMsAt(position: number): number {
    this.fresh();
    const r = this.#records[position]!;
    if (r >= 0) {
      const settled = this.sources.transactions.settledMs[r]!;
      return Number.isNaN(settled) ? this.sources.transactions.timeMs[r]! : settled;
    }
    return Date.parse(this.#reimbursementOf[position]!.created_at);
  }

  materialise(position: number): Record<string, unknown> {
    this.fresh();
    const id = this.#ids[position]!;
    const r = this.#records[position]!;
    const url = `https://receipts.ramp-emulator.invalid/${id}.jpg`;
    if (r < 0) {
      const item = this.#reimbursementOf[position]!;
      return { id, receipt_url: url, user_id: item.user_id, created_at: item.created_at };
    }
    const { transactions } = this.sources;
    const card = transactions.lookups.cards.at(transactions.cardIndex[r]!);
    return { id, receipt_url: url, transaction_id: transactions.idOfRecord(r), user_id: card.cardholder_id, created_at: formatRampTime(this.createdMsAt(position)) };
  }
}

/** One memo per transaction that has one; the memo's id is the transaction's. */
export class MemoTable extends DerivedTable {
  #records: number[] = [];
  #positionById = new Map<string, number>();

  protected rebuild(): void {
    const { transactions } = this.sources;
    this.#records = [];
    this.#positionById = new Map();
    for (let position = 0; position < transactions.length; position++) {
      const r = transactions.recordAt(position);
      if (MEMOS[transactions.memoIndex[r]!] == null) continue;
      this.#positionById.set(transactions.idOfRecord(r), this.#records.length);
      this.#records.push(r);
    }
  }

  get length(): number {
    this.fresh();
    return this.#records.length;
  }

  idAt(position: number): string {
    this.fresh();
    return this.sources.transactions.idOfRecord(this.#records[position]!);
  }

  positionOf(id: string): number | undefined {
    this.fresh();
    return this.#positionById.get(id);
  }

  recordAt(position: number): number {
    this.fresh();
    return this.#records[position]!;
  }

  materialise(position: number): Record<string, unknown> {
    this.fresh();
    const r = this.#records[position]!;
    return { id: this.sources.transactions.idOfRecord(r), memo: MEMOS[this.sources.transactions.memoIndex[r]!] };
  }
}
