/**
 * @module The businesses the emulator holds data for.
 *
 * Each business owns its resource tables; seeding replaces them wholesale. Tokens are bound to a
 * business id (client credentials: the app's business; authorization code: the consenting one),
 * so tenant isolation is simply "look the id up in the token's business only".
 */
import type { AccountingBook } from './accounting-book.ts';
import type { AccountingConnection, AccountingField, AccountingFieldOption, AccountingVendor, GlAccount, RampKeyed } from './accounting.ts';
import type { MemoTable, ReceiptTable } from './documents.ts';
import type { Cashback, Transfer } from './ledger.ts';
import type { Bill, BusinessProfile, Card, Department, Location, Reimbursement, User, Vendor, VendorContact } from './models.ts';
import type { Entity, Limit, Merchant, SpendProgram } from './spend.ts';
import type { ObjectTable } from './table.ts';
import type { TransactionTable } from './transactions.ts';

export interface AccountingSyncFailure {
  readonly object_id: string;
  readonly sync_type: string;
  readonly message: string;
  readonly sync_id: string;
  readonly failed_at: string;
}

export interface AccountingSyncRecord {
  /** Canonical JSON of the request body, to tell a replay from a conflicting reuse of the key. */
  readonly fingerprint: string;
  readonly response: Record<string, unknown>;
}

export type { RampKeyed } from './accounting.ts';

export interface BusinessData {
  readonly id: string;
  readonly seed: number;
  readonly anchorMs: number;
  readonly profile: BusinessProfile;
  readonly entityId: string;
  readonly departments: ObjectTable<Department>;
  readonly locations: ObjectTable<Location>;
  readonly users: ObjectTable<User>;
  readonly cards: ObjectTable<Card>;
  readonly vendors: ObjectTable<Vendor>;
  readonly transactions: TransactionTable;
  readonly reimbursements: ObjectTable<Reimbursement>;
  readonly bills: ObjectTable<Bill>;
  /** `POST /accounting/syncs` results by idempotency key. */
  readonly accountingSyncs: Map<string, AccountingSyncRecord>;
  readonly vendorContacts: Map<string, ObjectTable<VendorContact>>;
  readonly merchants: ObjectTable<Merchant>;
  readonly entities: ObjectTable<Entity>;
  readonly spendPrograms: ObjectTable<SpendProgram>;
  readonly limits: ObjectTable<Limit>;
  readonly transfers: ObjectTable<Transfer>;
  readonly cashbacks: ObjectTable<Cashback>;
  /** Newest period first; the wire object is computed from the transactions when read. */
  readonly statements: ObjectTable<{ id: string; k: number; startMs: number; endMs: number }>;
  readonly balance: () => Record<string, unknown>;
  readonly receipts: ReceiptTable;
  readonly memos: MemoTable;
  readonly accountingAccounts: ObjectTable<RampKeyed<GlAccount>>;
  readonly accountingFields: ObjectTable<RampKeyed<AccountingField>>;
  readonly accountingFieldOptions: ObjectTable<RampKeyed<AccountingFieldOption>>;
  readonly accountingVendors: ObjectTable<RampKeyed<AccountingVendor>>;
  readonly accountingConnection: AccountingConnection | null;
  /** Every accounting connection of the business with its chart; the four tables above are the active one's. */
  readonly accounting: AccountingBook;
  /** The last failure reported through `accounting/syncs` per object id, until a success clears it (Ramp's "Export Errors"). */
  readonly accountingSyncFailures: Map<string, AccountingSyncFailure>;
  /**
   * Advances with every mutation batch so repeated mutations differ but stay deterministic; views
   * computed from the transactions (statements, limits' balances, receipts, memos) refresh on it.
   */
  mutationCount: number;
}

export class BusinessStore {
  readonly #businesses = new Map<string, BusinessData>();

  get(businessId: string): BusinessData | undefined {
    return this.#businesses.get(businessId);
  }

  set(data: BusinessData): void {
    this.#businesses.set(data.id, data);
  }

  has(businessId: string): boolean {
    return this.#businesses.has(businessId);
  }

  list(): BusinessData[] {
    return [...this.#businesses.values()];
  }

  retainOnly(businessIds: ReadonlySet<string>): void {
    for (const id of this.#businesses.keys()) if (!businessIds.has(id)) this.#businesses.delete(id);
  }
}
