/**
 * @module Spend structure: entities, spend programs, limits (one per card plus shared ones),
 * merchants and vendor contacts, shaped as Ramp's `ApiEntityResource`, `ApiSpendProgramResource`,
 * `Limit`, `Merchant` and `ApiVendorContactResource`.
 *
 * Optional fields are present on some records and absent on others, nullable ones `null` on some,
 * so a client's parsing meets both forms in every seeded business.
 */
import type { Card, CurrencyAmount, User, Vendor, VendorContact } from './models.ts';
import { formatRampTime } from './models.ts';
import { SeededRandom, derivedUuid } from './prng.ts';
import { ObjectTable } from './table.ts';

export interface Entity {
  id: string;
  entity_name: string;
  currency: string;
  is_primary: boolean;
  location_ids: string[];
  accounts: Record<string, unknown>[];
}

export interface SpendProgram {
  id: string;
  display_name: string;
  description?: string;
  icon: string;
  is_shareable: boolean;
  issue_physical_card_if_needed: boolean;
  permitted_spend_types: { primary_card_enabled: boolean; reimbursements_enabled: boolean };
  restrictions: Record<string, unknown>;
}

export interface Limit {
  id: string;
  display_name: string;
  created_at: string;
  entity_id: string;
  has_program_overridden: boolean;
  is_shareable: boolean;
  spend_program_id?: string;
  state: 'ACTIVE' | 'SUSPENDED' | 'TERMINATED';
  suspension: { acting_user_id: string; inserted_at: string; suspended_by_ramp: boolean } | null;
  permitted_spend_types: { primary_card_enabled: boolean; reimbursements_enabled: boolean };
  restrictions: { interval: string; limit: CurrencyAmount | null; temporary_limit: CurrencyAmount | null; transaction_amount_limit: CurrencyAmount | null; blocked_categories?: number[] };
  cards: { card_id: string; expiration: string; is_ap_card: boolean; last_four: string; via_new_product_or_service: boolean }[];
  users: { user_id: string }[];
  /** Index of the card this limit backs (−1 for a shared limit): its balance is that card's spend. */
  cardIndex: number;
}

export interface Merchant {
  id: string;
  merchant_name: string;
  sk_category_name: string | null;
  is_auto_approved: boolean;
}

const SPEND_PROGRAM_TEMPLATES: readonly { name: string; icon: string; limitCents: number | null; interval: string }[] = [
  { name: 'Software subscriptions', icon: 'SaasSubscriptionIcon', limitCents: 500_000, interval: 'MONTHLY' },
  { name: 'Travel', icon: 'TravelExpensesIcon', limitCents: 1_000_000, interval: 'QUARTERLY' },
  { name: 'Team meals', icon: 'LunchOrderingIcon', limitCents: 50_000, interval: 'MONTHLY' },
  { name: 'Office supplies', icon: 'SuppliesIcon', limitCents: null, interval: 'TOTAL' },
];

/** The id of the second entity, the Canadian subsidiary (CAD): some reimbursements and a transfer are its. */
export function secondaryEntityId(businessId: string, seed: number): string {
  return derivedUuid(`${businessId}:${seed}:entity:secondary`);
}

export function generateEntities(businessId: string, seed: number, entityId: string, locationIds: string[], createdMs: number): Entity[] {
  const account = (kind: string, usage: string, classification: string, name: string): Record<string, unknown> => ({
    internal_id: derivedUuid(`${businessId}:${seed}:entity-account:${kind}`),
    external_id: `${1000 + name.length}`,
    external_name: name,
    classification,
    usage_type: usage,
    bank_account_id: usage === 'CASH_ACCOUNT' ? derivedUuid(`${businessId}:${seed}:bank-account`) : null,
    created_at: formatRampTime(createdMs),
  });
  return [
    {
      id: entityId,
      entity_name: 'Primary entity',
      currency: 'USD',
      is_primary: true,
      location_ids: locationIds,
      accounts: [
        account('cash', 'CASH_ACCOUNT', 'ASSET', 'Operating Checking'),
        account('card', 'CARD_LIABILITY_ACCOUNT', 'LIABILITY', 'Ramp Card Liability'),
        account('cashback', 'CASHBACK_ACCOUNT', 'REVENUE', 'Ramp Cashback'),
      ],
    },
    // A second, empty entity: no locations and no linked accounts, in another currency.
    { id: secondaryEntityId(businessId, seed), entity_name: 'Canadian subsidiary', currency: 'CAD', is_primary: false, location_ids: [], accounts: [] },
  ];
}

export function generateSpendPrograms(random: SeededRandom): SpendProgram[] {
  return SPEND_PROGRAM_TEMPLATES.map((template, i) => ({
    id: random.uuid(),
    display_name: template.name,
    ...(i % 2 === 0 ? { description: `${template.name} for the whole team` } : {}),
    icon: template.icon,
    is_shareable: i === 2,
    issue_physical_card_if_needed: i === 1,
    permitted_spend_types: { primary_card_enabled: true, reimbursements_enabled: i !== 0 },
    restrictions: {
      interval: template.interval,
      limit: template.limitCents === null ? null : { amount: template.limitCents, currency_code: 'USD' },
      temporary_limit: null,
      transaction_amount_limit: i === 2 ? { amount: 15_000, currency_code: 'USD' } : null,
      allowed_categories: [],
      blocked_categories: i === 0 ? [3, 18] : [],
    },
  }));
}

/** One limit per card (the card's spend allocation), then two shared limits without cards. */
export function generateLimits(random: SeededRandom, cards: ObjectTable<Card>, users: ObjectTable<User>, programs: readonly SpendProgram[], entityId: string): Limit[] {
  const limits: Limit[] = cards.all().map((card, i) => {
    const program = i % 3 === 2 ? undefined : programs[i % programs.length];
    const state = card.state === 'TERMINATED' ? 'TERMINATED' : card.state === 'SUSPENDED' ? 'SUSPENDED' : 'ACTIVE';
    return {
      id: random.uuid(),
      display_name: card.display_name,
      created_at: card.created_at,
      entity_id: entityId,
      has_program_overridden: i % 5 === 4,
      is_shareable: false,
      ...(program ? { spend_program_id: program.id } : {}),
      state,
      suspension: state === 'SUSPENDED' ? { acting_user_id: users.at(0).id, inserted_at: card.created_at, suspended_by_ramp: false } : null,
      permitted_spend_types: { primary_card_enabled: true, reimbursements_enabled: i % 2 === 0 },
      restrictions: {
        interval: i % 4 === 0 ? 'TOTAL' : 'MONTHLY',
        limit: i % 4 === 0 ? null : { amount: random.int(1, 50) * 100_000, currency_code: 'USD' },
        temporary_limit: i % 7 === 3 ? { amount: 250_000, currency_code: 'USD' } : null,
        transaction_amount_limit: i % 6 === 1 ? { amount: 100_000, currency_code: 'USD' } : null,
      },
      cards: [{ card_id: card.id, expiration: card.expiration, is_ap_card: false, last_four: card.last_four, via_new_product_or_service: false }],
      users: [{ user_id: card.cardholder_id }],
      cardIndex: i,
    };
  });
  for (let k = 0; k < 2; k++) {
    limits.push({
      id: random.uuid(),
      display_name: k === 0 ? 'Shared team budget' : 'Conference travel pool',
      created_at: limits[0]?.created_at ?? formatRampTime(0),
      entity_id: entityId,
      has_program_overridden: false,
      is_shareable: true,
      ...(programs[k + 1] ? { spend_program_id: programs[k + 1]!.id } : {}),
      state: 'ACTIVE',
      suspension: null,
      permitted_spend_types: { primary_card_enabled: false, reimbursements_enabled: true },
      restrictions: { interval: 'ANNUAL', limit: { amount: 2_000_000, currency_code: 'USD' }, temporary_limit: null, transaction_amount_limit: null },
      cards: [],
      users: users.all().slice(0, 3 + k).map((user) => ({ user_id: user.id })),
      cardIndex: -1,
    });
  }
  return limits;
}

export function limitView(balanceOf: (cardIndex: number) => { cleared: number; pending: number }): (limit: Limit) => Record<string, unknown> {
  return (limit) => {
    const { cardIndex, ...wire } = limit;
    const { cleared, pending } = cardIndex >= 0 ? balanceOf(cardIndex) : { cleared: 0, pending: 0 };
    const usd = (amount: number): CurrencyAmount => ({ amount, currency_code: 'USD' });
    return { ...wire, balance: { cleared: usd(cleared), pending: usd(pending), total: usd(cleared + pending) } };
  };
}

/** Ramp's merchants are the card-network merchants behind the vendors. */
export function merchantsOf(vendors: ObjectTable<Vendor>): Merchant[] {
  return vendors.all().map((vendor, i) => ({
    id: vendor.merchant_id,
    merchant_name: vendor.name,
    sk_category_name: i % 9 === 8 ? null : vendor.sk_category_name,
    is_auto_approved: i % 4 !== 0,
  }));
}

/** 0–2 contacts per vendor; the vendor's `contacts` lists their ids. */
export function generateVendorContacts(random: SeededRandom, vendors: ObjectTable<Vendor>): Map<string, ObjectTable<VendorContact>> {
  const byVendor = new Map<string, ObjectTable<VendorContact>>();
  vendors.all().forEach((vendor, i) => {
    const contacts: VendorContact[] = Array.from({ length: i % 3 }, (_, k) => ({
      id: random.uuid(),
      email: `billing${k === 0 ? '' : k + 1}@vendor-${i + 1}.example`,
      first_name: k === 0 ? 'Accounts' : null,
      last_name: k === 0 ? 'Receivable' : null,
      phone: k === 0 && i % 2 === 0 ? `+1415555${String(1000 + i).slice(-4)}` : null,
      is_default: k === 0,
    }));
    vendor.contacts = contacts.map((contact) => contact.id);
    byVendor.set(vendor.id, new ObjectTable(contacts));
  });
  return byVendor;
}
