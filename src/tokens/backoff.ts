/**
 * @module Full-jitter exponential backoff (AWS Builders' Library, "Timeouts, retries, and backoff with
 * jitter"): `random(0, min(cap, base · 2^attempt))`, so retrying replicas spread out instead of
 * stampeding together.
 */

export function fullJitterDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30)));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
