/**
 * @module What `serve` prints on a terminal before its logs: where everything is, the emulator's
 * ready-made Ramp app, and the one command that gives a first API token. The emulator's client id and
 * secret are fixed development values (src/emulator/default-app.ts, or RAMP_EMULATOR_CLIENT_ID /
 * RAMP_EMULATOR_CLIENT_SECRET), accepted by nothing but the emulator, so the terminal may show them;
 * the JSON lines of a piped start, which log collectors keep, name the client id only.
 */

export interface StartFacts {
  readonly webPage: string;
  readonly apiDocs: string;
  /** Set in emulator mode (in-process or one you run yourself). */
  readonly emulator?: { readonly url: string; readonly clientId: string; readonly clientSecret: string };
  /** Set on a first start, when the demo business was just created. */
  readonly demoBusiness?: { readonly id: string; readonly name: string };
}

export const FIRST_TOKEN_COMMAND = 'npx ramp-connect token create --demo';

export function startBanner(facts: StartFacts): string {
  const row = (label: string, value: string) => `  ${label.padEnd(18)}${value}`;
  const lines = ['', 'ramp-connect is running', '', row('Web page + API', facts.webPage), row('API reference', facts.apiDocs)];
  if (facts.emulator) {
    lines.push(
      row('Ramp emulator', `${facts.emulator.url}  (a local Ramp; no account needed)`),
      '',
      "  The emulator's ready-made Ramp app (development values, not real secrets):",
      row('  Client ID', facts.emulator.clientId),
      row('  Client Secret', facts.emulator.clientSecret),
    );
  }
  if (facts.demoBusiness) lines.push('', `  Created the business "${facts.demoBusiness.name}" (${facts.demoBusiness.id}) for a first try.`);
  lines.push(
    '',
    '  Your first API token (in another terminal):',
    `    ${FIRST_TOKEN_COMMAND}`,
    `  then open ${facts.webPage}, paste the token, and connect${facts.emulator ? ' (Connect with Ramp, or Use my own Ramp app with the app above)' : ''}.`,
    '',
    'Logs:',
    '',
  );
  return lines.join('\n');
}
