/**
 * @module The secret Ramp signs webhooks with (`RAMP_WEBHOOK_SECRET`; Ramp returns it as
 * `secret: "ramp_sec_…"` when the subscription is created, docs/ramp-behaviour.md#webhooks). Read here, not
 * in src/config, because only the webhook route needs it. Unset means every webhook is refused.
 */
export function webhookSecretFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.RAMP_WEBHOOK_SECRET;
  return value !== undefined && value.length > 0 ? value : undefined;
}
