/**
 * @module Named failure points for crash tests, switched on only by `RAMP_CONNECT_FAILPOINTS`
 * (`name=pause` or `name=delay:<ms>`, comma-separated). Some crashes cannot be reached from outside:
 * a process killed after Ramp answered a refresh and before the commit (docs/guarantees.md#g20)
 * is one. `pause` announces itself on stderr and never resumes, so a test can SIGKILL the process at
 * exactly that point; `delay` widens the window for a chaos run's random kills. Unset: one map lookup.
 */
type Action = { readonly kind: 'pause' } | { readonly kind: 'delay'; readonly ms: number };

function parse(spec: string | undefined): ReadonlyMap<string, Action> {
  const points = new Map<string, Action>();
  for (const entry of (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, action] = entry.split('=', 2) as [string, string | undefined];
    if (action === 'pause') points.set(name, { kind: 'pause' });
    else if (action?.startsWith('delay:') && Number.isFinite(Number(action.slice(6)))) points.set(name, { kind: 'delay', ms: Number(action.slice(6)) });
    else throw new Error(`RAMP_CONNECT_FAILPOINTS: "${entry}" is not name=pause or name=delay:<ms>`);
  }
  return points;
}

const POINTS = parse(process.env.RAMP_CONNECT_FAILPOINTS);

/** The refresh's answer from Ramp is in memory and not yet committed. */
export const AFTER_REFRESH_ANSWER = 'refresh.after_ramp_answer';
/** A disconnect's revocation is confirmed by Ramp and the row is not yet deleted. */
export const AFTER_DISCONNECT_REVOKE = 'disconnect.after_ramp_revoke';

export async function failpoint(name: string): Promise<void> {
  const action = POINTS.get(name);
  if (!action) return;
  if (action.kind === 'delay') return new Promise((resolve) => setTimeout(resolve, action.ms));
  process.stderr.write(`failpoint ${name} reached\n`);
  return new Promise(() => {});
}
