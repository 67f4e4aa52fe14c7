/**
 * @module The emulator's built-in OAuth app, which `RAMP_ENV=emulator` uses when RAMP_CLIENT_ID /
 * RAMP_CLIENT_SECRET are not set (README.md#configuration: their default is the emulator app). Its own module so a
 * CLI command can name the app without loading the emulator: `ramp-connect sync` refreshes an
 * authorization-code connection against an emulator that `serve` or `ramp-connect emulator` runs.
 */

export const DEFAULT_CLIENT_ID = 'ramp_id_emulator_default';
/** A fixed, obviously-fake secret: the emulator is a development tool, never a real credential. */
export const DEFAULT_CLIENT_SECRET = 'ramp_secret_emulator_default_DEV_ONLY_not_a_real_secret';

/** The default app's credentials; RAMP_EMULATOR_CLIENT_ID / RAMP_EMULATOR_CLIENT_SECRET override them. */
export function emulatorDefaultApp(env: NodeJS.ProcessEnv = process.env): { readonly clientId: string; readonly clientSecret: string } {
  return { clientId: env.RAMP_EMULATOR_CLIENT_ID || DEFAULT_CLIENT_ID, clientSecret: env.RAMP_EMULATOR_CLIENT_SECRET || DEFAULT_CLIENT_SECRET };
}
