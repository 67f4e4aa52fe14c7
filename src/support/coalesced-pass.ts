/**
 * @module A background pass that many callers may ask for at once ("kick"), run one at a time.
 *
 * The services that claim work from a shared table (syncs, chart jobs, Ramp webhook events and
 * subscription jobs) each run a pass when something is queued, on a timer, and when a task ends. A
 * kick while a pass runs cannot be dropped: that pass may already have looked at the table before
 * the new row was written. So it causes exactly one more pass after the current one, however many
 * kicks came meanwhile. A failed pass is logged (through `onError`) and never thrown: the next kick
 * or tick tries again.
 *
 * `stop()` is for a process that is closing: no pass starts after it, `signal` aborts so the running
 * pass can give up calls it should not wait out (Ramp), and it resolves once that pass has ended, so
 * the database is not closed under it.
 */
export class CoalescedPass {
  readonly #run: (signal: AbortSignal) => Promise<unknown>;
  readonly #onError: (error: unknown) => void;
  readonly #stop = new AbortController();
  /** Set before the first pass starts, so a kick from inside a pass (even a synchronous one) is an "again". */
  #busy = false;
  #running: Promise<void> = Promise.resolve();
  #again = false;

  /** `run` is one pass; `onError` hears what it threw (it must not throw itself: what it throws is dropped). */
  constructor(run: (signal: AbortSignal) => Promise<unknown>, onError: (error: unknown) => void) {
    this.#run = run;
    this.#onError = onError;
  }

  /** Aborted by `stop()`. */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Starts a pass now, or one more after the running one. Never throws. */
  kick(): void {
    if (this.stopped) return;
    this.#again = true;
    if (this.#busy) return;
    this.#busy = true;
    this.#running = this.#passes();
  }

  /** Runs passes while kicks keep arriving during them. */
  async #passes(): Promise<void> {
    while (this.#again && !this.stopped) {
      this.#again = false;
      try {
        await this.#run(this.#stop.signal);
      } catch (error) {
        try {
          this.#onError(error);
        } catch {
          // A failing logger must not stop the passes.
        }
      }
    }
    this.#busy = false;
  }

  /** No new pass starts; the running one is told (`signal`) and awaited. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }
}
