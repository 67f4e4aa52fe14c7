/** @module The README's resource table, rendered from the descriptors (checked by resource-descriptors.test.ts; printed by `node bin/run-ts.js test/ramp/readme-resource-table.ts`). */
import { RAMP_RESOURCES } from '../../src/ramp/resource-descriptors.ts';

export function resourceTableRows(): string[] {
  return RAMP_RESOURCES.map((d) => {
    const read = d.incrementalFilter ? `incremental (\`${d.incrementalFilter}\`)` : 'full';
    const deletion = d.deletion === 'missing-from-full-read' ? 'missing from a complete read → `deleted_at`' : 'not detected';
    const money = d.money === 'decimal' ? 'decimal major units' : d.money === 'currency-amount' ? '`CurrencyAmount`' : '—';
    const filters = d.readFilters.length > 0 ? d.readFilters.map((f) => `\`${f}\``).join(', ') : '—';
    return `| \`${d.resource}\` | \`/${d.rampPath}\` | \`${d.scope}\` | ${d.syncConfigFlag ? `\`${d.syncConfigFlag}\`` : 'always'} | ${read} | ${deletion} | ${money} | ${filters} |`;
  });
}

if (process.argv[1]?.endsWith('run-ts.js')) console.log(resourceTableRows().join('\n'));
