/**
 * @module Real-time waits in the emulator (fault delays, webhook retry backoff) that end early, and
 * quietly, when the emulator shuts down: `close()` never waits on a sleeping fault or retry.
 */

/** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
