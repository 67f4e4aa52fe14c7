/** @module `emulator [--port N]`: the Ramp emulator alone. Imports nothing of the service, so it starts fast. */
import { startEmulator } from '../../emulator/index.ts';
import { optionalInt } from '../args.ts';
import { CliError, printResult } from '../output.ts';
import type { CommandInput } from './command.ts';
import { stopOnSignals } from './signals.ts';

export async function emulatorCommand({ flags, config }: CommandInput): Promise<void> {
  const port = optionalInt(flags, 'port') ?? config.emulatorPort;
  // As EMULATOR_PORT is checked (src/config/config.ts), rather than Node's listen error.
  if (port < 0 || port > 65535) throw new CliError(`--port must be a port number (0-65535), got ${port}`, 2);
  const emulator = await startEmulator({ port, defaultRedirectUris: [`${config.publicUrl}/api/v1/ramp/callback`] });
  printResult(
    { url: emulator.url, sandbox_url: `${emulator.url}/sandbox`, client_id: emulator.defaultApp.client_id, client_secret: emulator.defaultApp.client_secret, business_id: emulator.demoBusinessId },
    flags,
  );
  stopOnSignals(emulator.close);
}
