/**
 * Durations in the environment: a refresh lease has no "off" (0 would be a lease nobody holds, and the
 * token manager and scheduler read it differently), so `REFRESH_LEASE_MS=0` stops the server at start;
 * a scheduler period of 0 switches the scheduler off, as documented.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

describe('durations in the environment', () => {
  it('REFRESH_LEASE_MS: a whole number ≥ 1, 30 s when unset', () => {
    expect(loadConfig({}).refreshLeaseMs).toBe(30_000);
    expect(loadConfig({ REFRESH_LEASE_MS: '' }).refreshLeaseMs).toBe(30_000);
    expect(loadConfig({ REFRESH_LEASE_MS: '1' }).refreshLeaseMs).toBe(1);
    for (const raw of ['0', '-1', '1.5', 'soon']) {
      expect(() => loadConfig({ REFRESH_LEASE_MS: raw })).toThrow(ConfigError);
      expect(() => loadConfig({ REFRESH_LEASE_MS: raw })).toThrow(new RegExp(`^REFRESH_LEASE_MS must be a whole number ≥ [01], got "${raw}"$`));
    }
  });

  it('REFRESH_INTERVAL_MS: 0 is off', () => {
    expect(loadConfig({ REFRESH_INTERVAL_MS: '0' }).refreshIntervalMs).toBe(0);
    expect(loadConfig({}).refreshIntervalMs).toBe(5_000);
  });
});
