/**
 * Which OAuth app the redirect flow and refreshes use (README.md#configuration: RAMP_CLIENT_ID/SECRET default to the
 * emulator app): the configured one; else, in emulator mode, the emulator's default app whether or
 * not this process runs the emulator (the CLI's `sync`, or `serve` against an external emulator);
 * outside emulator mode, none.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import { loadConfig } from '../../src/config/config.ts';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from '../../src/emulator/default-app.ts';
import { oauthAppFor } from '../../src/features.ts';

const ctxWith = (env: Record<string, string>) => ({ config: loadConfig(env) }) as AppContext;

describe('oauthAppFor', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('takes the configured app first, then the emulator default app in emulator mode only', () => {
    const configured = { RAMP_CLIENT_ID: 'ramp_id_mine', RAMP_CLIENT_SECRET: 'ramp_secret_mine' };
    expect(oauthAppFor(ctxWith({ RAMP_ENV: 'sandbox', ...configured }), undefined)).toEqual({ clientId: 'ramp_id_mine', clientSecret: 'ramp_secret_mine' });
    expect(oauthAppFor(ctxWith({ RAMP_ENV: 'emulator', ...configured }), undefined)).toEqual({ clientId: 'ramp_id_mine', clientSecret: 'ramp_secret_mine' });
    expect(oauthAppFor(ctxWith({ RAMP_ENV: 'emulator' }), undefined)).toEqual({ clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET });
    expect(oauthAppFor(ctxWith({ RAMP_ENV: 'sandbox' }), undefined)).toBeUndefined();
    expect(oauthAppFor(ctxWith({ RAMP_ENV: 'production' }), undefined)).toBeUndefined();
  });

  it('follows RAMP_EMULATOR_CLIENT_ID/SECRET, as the emulator does', () => {
    vi.stubEnv('RAMP_EMULATOR_CLIENT_ID', 'ramp_id_team_emulator');
    vi.stubEnv('RAMP_EMULATOR_CLIENT_SECRET', 'ramp_secret_team_emulator');
    expect(oauthAppFor(ctxWith({ RAMP_ENV: 'emulator' }), undefined)).toEqual({ clientId: 'ramp_id_team_emulator', clientSecret: 'ramp_secret_team_emulator' });
  });
});
