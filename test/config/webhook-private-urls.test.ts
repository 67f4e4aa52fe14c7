/**
 * `WEBHOOK_ALLOW_PRIVATE_URLS`: outbound webhooks to private addresses are allowed in emulator mode
 * (everything runs on the laptop) and refused in sandbox and production unless set to `true`; a value
 * other than `true`/`false` stops the server rather than being guessed at.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

describe('WEBHOOK_ALLOW_PRIVATE_URLS', () => {
  it('defaults to on in emulator mode only', () => {
    expect(loadConfig({}).webhookAllowPrivateUrls).toBe(true);
    expect(loadConfig({ RAMP_ENV: 'emulator', WEBHOOK_ALLOW_PRIVATE_URLS: '' }).webhookAllowPrivateUrls).toBe(true);
    expect(loadConfig({ RAMP_ENV: 'sandbox' }).webhookAllowPrivateUrls).toBe(false);
    expect(loadConfig({ RAMP_ENV: 'production' }).webhookAllowPrivateUrls).toBe(false);
  });

  it('true and false override the default either way', () => {
    expect(loadConfig({ RAMP_ENV: 'production', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }).webhookAllowPrivateUrls).toBe(true);
    expect(loadConfig({ RAMP_ENV: 'emulator', WEBHOOK_ALLOW_PRIVATE_URLS: 'false' }).webhookAllowPrivateUrls).toBe(false);
  });

  it('anything else is a ConfigError naming the variable', () => {
    for (const raw of ['1', 'yes', 'TRUE', 'on', ' true']) {
      expect(() => loadConfig({ RAMP_ENV: 'production', WEBHOOK_ALLOW_PRIVATE_URLS: raw }), raw).toThrow(ConfigError);
      expect(() => loadConfig({ RAMP_ENV: 'production', WEBHOOK_ALLOW_PRIVATE_URLS: raw }), raw).toThrow(`WEBHOOK_ALLOW_PRIVATE_URLS must be true or false, got "${raw}"`);
    }
  });
});
