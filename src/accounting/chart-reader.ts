/**
 * @module Reads the chart of accounts Ramp holds for the active accounting connection: every GL
 * account, accounting vendor, custom field and option, active or not (an inactive one is brought
 * back with `reactivate`, never created twice; docs/ramp-behaviour.md#chart-of-accounts).
 */
import type { RampClient } from '../ramp/ramp-client.ts';
import type { ListParams } from '../ramp/resources.ts';
import type { HeldAccount, HeldChart, HeldField, HeldOption, HeldVendor } from './chart-model.ts';

const PAGE_SIZE = 100;

type Json = Record<string, unknown>;
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const bool = (value: unknown, fallback: boolean): boolean => (typeof value === 'boolean' ? value : fallback);

/** Counts the calls a read made, for the job's progress and the benchmark. */
export interface CallCounter {
  reads: number;
}

async function readAll(client: RampClient, businessId: string, resource: string, params: Json, counter: CallCounter, signal?: AbortSignal): Promise<Json[]> {
  const out: Json[] = [];
  const from = { resource, params: { page_size: PAGE_SIZE, ...params } as ListParams };
  for await (const page of client.pages(businessId, from, signal ? { signal } : {})) {
    counter.reads++;
    out.push(...(page.records as Json[]));
  }
  return out;
}

const account = (r: Json): HeldAccount => ({
  ramp_id: String(r.ramp_id), id: String(r.id), name: str(r.name) ?? '', code: str(r.code), classification: str(r.classification), is_active: bool(r.is_active, true),
});
const vendor = (r: Json): HeldVendor => ({ ramp_id: String(r.ramp_id), id: String(r.id), name: str(r.name) ?? '', code: str(r.code), is_active: bool(r.is_active, true) });
const option = (r: Json): HeldOption => ({ ramp_id: String(r.ramp_id), id: String(r.id), value: str(r.value) ?? '', code: str(r.code), is_active: bool(r.is_active, true) });

export async function readHeldChart(client: RampClient, businessId: string, counter: CallCounter, signal?: AbortSignal): Promise<HeldChart> {
  const accounts = await readAll(client, businessId, 'accounting/accounts', {}, counter, signal);
  const vendors = await readAll(client, businessId, 'accounting/vendors', {}, counter, signal);
  const fields = await readAll(client, businessId, 'accounting/fields', {}, counter, signal);
  const custom: HeldField[] = [];
  for (const f of fields) {
    const options = f.input_type === 'SINGLE_CHOICE' ? await readAll(client, businessId, 'accounting/field-options', { field_id: String(f.ramp_id) }, counter, signal) : [];
    custom.push({
      ramp_id: String(f.ramp_id),
      id: String(f.id),
      name: str(f.name) ?? '',
      display_name: str(f.display_name),
      input_type: str(f.input_type) ?? 'UNKNOWN',
      is_splittable: bool(f.is_splittable, false),
      is_required_for: Array.isArray(f.is_required_for) ? f.is_required_for.filter((x): x is string => typeof x === 'string') : [],
      is_active: bool(f.is_active, true),
      options: options.map(option),
    });
  }
  return { gl_accounts: accounts.map(account), vendors: vendors.map(vendor), custom_fields: custom };
}
