/**
 * @module The emulator's resource table: every Ramp read route it serves, one entry per resource.
 *
 * Adding a list resource is one entry in `LIST_RESOURCES` (plus its data); `routes.ts` registers
 * `GET /developer/v1/<path>` and, unless `byId` is false, `GET /developer/v1/<path>/:id` for each.
 * Single-object routes (no list, no id) are `SINGLETONS`; the accounting connection routes are in
 * `accounting-connection.ts`. This table is the emulator's own: it
 * shares no code with the client side.
 */
import type { BusinessData } from '../data/store.ts';
import { BILLS, CARDS, DEPARTMENTS, LOCATIONS, REIMBURSEMENTS, TRANSACTIONS, USERS, VENDORS, type ResourceDefinition } from './definitions.ts';
import {
  ACCOUNTING_ACCOUNTS, ACCOUNTING_FIELDS, ACCOUNTING_FIELD_OPTIONS, ACCOUNTING_VENDORS, CASHBACKS, ENTITIES, LIMITS, MEMOS, MERCHANTS,
  RECEIPTS, SPEND_PROGRAMS, STATEMENTS, TRANSFERS,
} from './more-definitions.ts';

export const LIST_RESOURCES: readonly ResourceDefinition[] = [
  TRANSACTIONS, REIMBURSEMENTS, BILLS, USERS, CARDS, DEPARTMENTS, LOCATIONS, VENDORS,
  TRANSFERS, CASHBACKS, STATEMENTS, RECEIPTS, MEMOS, MERCHANTS, ENTITIES, LIMITS, SPEND_PROGRAMS,
  ACCOUNTING_ACCOUNTS, ACCOUNTING_FIELDS, ACCOUNTING_FIELD_OPTIONS, ACCOUNTING_VENDORS,
];

export function resourceByName(name: string): ResourceDefinition | undefined {
  return LIST_RESOURCES.find((resource) => resource.name === name);
}

export function pathOf(resource: ResourceDefinition): string {
  return resource.path ?? resource.name;
}

export interface SingletonDefinition {
  readonly path: string;
  readonly scope: string;
  answer(data: BusinessData): Record<string, unknown>;
}

export const SINGLETONS: readonly SingletonDefinition[] = [
  { path: 'business', scope: 'business:read', answer: (data) => data.profile as unknown as Record<string, unknown> },
  { path: 'business/balance', scope: 'business:read', answer: (data) => data.balance() },
];
