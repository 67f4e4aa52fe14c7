/**
 * @module The columns the read API filters and sorts on, taken from one Ramp record by its resource's
 * descriptor (src/ramp/resource-descriptors.ts). Ramp's object is stored verbatim beside them.
 */
import { descriptorOf, type RecordColumns } from '../ramp/resource-descriptors.ts';

export type { RecordColumns } from '../ramp/resource-descriptors.ts';
export { timeOf } from '../ramp/resource-descriptors.ts';

/** A resource of the table (`RAMP_RESOURCES[].resource`). */
export type SyncResource = string;

export function projectRecord(resource: SyncResource, record: Record<string, unknown>): RecordColumns {
  return descriptorOf(resource).project(record);
}
