/**
 * @module The Ramp Developer API resources this service reads (docs/ramp-behaviour.md#resources-and-scopes), and the
 * query parameters of their list endpoints.
 */

/** Paginated lists under `/developer/v1/<path>` (docs/ramp-behaviour.md#pagination: `{data, page: {next}}`), e.g. `transactions`, `spend-programs`. */
export type RampListResource = string;

/** Ramp's bounds for `page_size` (docs/ramp-behaviour.md#pagination). */
export const PAGE_SIZE = Object.freeze({ min: 2, max: 100 });

/**
 * List filters. Only non-empty values are sent. `state=ALL` is needed on transactions to include
 * DECLINED ones, which the list leaves out by default (changelog 2025-06-25, docs/ramp-behaviour.md#resources-and-scopes).
 */
export interface ListParams {
  readonly page_size?: number;
  readonly from_date?: string;
  readonly to_date?: string;
  /** Reimbursements: on `transaction_date` (their `from_date`/`to_date` select on the created time). */
  readonly from_transaction_date?: string;
  readonly to_transaction_date?: string;
  readonly updated_after?: string;
  /** Transactions and reimbursements synced to the books after this time (docs/ramp-behaviour.md#accounting-readiness). */
  readonly synced_after?: string;
  readonly state?: string;
  readonly user_id?: string;
  readonly card_id?: string;
  readonly department_id?: string;
  /** Cards: Ramp lists terminated cards only when asked with `is_terminated=true`. */
  readonly is_terminated?: boolean;
}

/** `POST /developer/v1/accounting/syncs` body (docs/ramp-behaviour.md#accounting-syncs). */
export interface AccountingSyncBody {
  readonly idempotency_key: string;
  readonly sync_type: string;
  readonly successful_syncs?: readonly { id: string; reference_id: string }[];
  readonly failed_syncs?: readonly { id: string; error: { message: string } }[];
}

/** One page of a list: Ramp's records as parsed JSON objects, and the verbatim `page.next`. */
export interface RampPage {
  readonly records: readonly Record<string, unknown>[];
  readonly next: string | null;
}
