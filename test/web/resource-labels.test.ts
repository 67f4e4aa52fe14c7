/**
 * The page names a skipped resource in words (the sync's `skipped[].resource`, e.g. "Spend programs —
 * allow spend_programs:read"). Its label map is plain browser JavaScript, so it cannot import the
 * descriptor table; this test keeps the two equal, so a resource added to the sync fails here until
 * the page has a label for it (without one it showed "Spend-programs").
 */
import { describe, expect, it } from 'vitest';
import { RESOURCE_NAMES } from '../../src/ramp/resource-descriptors.ts';
// @ts-expect-error: browser JavaScript without type declarations
import { RESOURCE_LABELS, resourceLabel } from '../../src/web/assets/skipped-resources.js';

describe('skipped-resource labels on the page', () => {
  it('has a label for every resource the sync reads, and none for a resource it does not', () => {
    expect(Object.keys(RESOURCE_LABELS as Record<string, string>).sort()).toEqual([...RESOURCE_NAMES].sort());
  });

  it('names them in words, never with a hyphen or underscore', () => {
    for (const name of RESOURCE_NAMES) expect((resourceLabel as (n: string) => string)(name), name).toMatch(/^[A-Z][a-z]+( [a-z]+)*$/);
    expect(resourceLabel('spend-programs')).toBe('Spend programs');
    expect(resourceLabel('bill-payments')).toBe('Bill payments');
  });
});
