/**
 * @module The businesses the emulator holds data for.
 *
 * Each business owns its resource tables; seeding replaces them wholesale. Tokens are bound to a
 * business id (client credentials: the app's business; authorization code: the consenting one),
 * so tenant isolation is simply "look the id up in the token's business only".
 */
import type { Bill, BusinessProfile, Card, Department, Location, Reimbursement, User, Vendor } from './models.ts';
import type { ObjectTable } from './table.ts';
import type { TransactionTable } from './transactions.ts';

export interface AccountingSyncRecord {
  /** Canonical JSON of the request body, to tell a replay from a conflicting reuse of the key. */
  readonly fingerprint: string;
  readonly response: Record<string, unknown>;
}

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
  /** Advances with every mutation batch so repeated mutations differ but stay deterministic. */
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
