/**
 * The coalesced pass behind every "kick" of the claiming services (src/support/coalesced-pass.ts):
 * each pass here is a promise the test settles by hand, so nothing depends on timing.
 */
import { describe, expect, it } from 'vitest';
import { CoalescedPass } from '../../src/support/coalesced-pass.ts';

/** A pass the test ends by hand; counts how many passes started and whether two ever overlapped. */
function controlledPasses() {
  const pending: { resolve: () => void; reject: (error: unknown) => void; signal: AbortSignal }[] = [];
  let active = 0;
  const stats = { started: 0, overlapped: false };
  const run = (signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      stats.started++;
      active++;
      if (active > 1) stats.overlapped = true;
      const done = () => (active--, undefined);
      pending.push({ resolve: () => resolve(done()), reject: (error) => (done(), reject(error)), signal });
    });
  /** Ends the oldest running pass and lets what follows it start. */
  const finish = async (error?: unknown) => {
    const pass = pending.shift();
    if (!pass) throw new Error('no pass is running');
    if (error === undefined) pass.resolve();
    else pass.reject(error);
    await settle();
  };
  return { run, finish, stats, pending };
}

/** Lets queued promise callbacks run (no timers involved). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('CoalescedPass', () => {
  it('a kick while a pass runs causes exactly one more pass, after it', async () => {
    const { run, finish, stats } = controlledPasses();
    const pass = new CoalescedPass(run, () => {});
    pass.kick();
    await settle();
    expect(stats.started).toBe(1);
    pass.kick();
    await settle();
    expect(stats.started).toBe(1); // not beside the running one
    await finish();
    expect(stats.started).toBe(2);
    await finish();
    expect(stats.started).toBe(2); // and no third
    expect(stats.overlapped).toBe(false);
  });

  it('many kicks during a pass coalesce into one more pass', async () => {
    const { run, finish, stats } = controlledPasses();
    const pass = new CoalescedPass(run, () => {});
    pass.kick();
    for (let i = 0; i < 50; i++) pass.kick();
    await finish();
    expect(stats.started).toBe(2);
    await finish();
    expect(stats.started).toBe(2);
    // Idle again: the next kick starts a pass at once.
    pass.kick();
    await settle();
    expect(stats.started).toBe(3);
    expect(stats.overlapped).toBe(false);
  });

  it('a kick from inside a pass, even a synchronous one, is one more pass, not a second one beside it', async () => {
    let passes = 0;
    let active = 0;
    let overlapped = false;
    const pass: CoalescedPass = new CoalescedPass(async () => {
      passes++;
      active++;
      if (active > 1) overlapped = true;
      if (passes === 1) pass.kick();
      await Promise.resolve();
      active--;
    }, () => {});
    pass.kick();
    await settle();
    expect(passes).toBe(2);
    expect(overlapped).toBe(false);
  });

  it('a failed pass is logged, never thrown, and the next kick still runs', async () => {
    const { run, finish, stats } = controlledPasses();
    const errors: unknown[] = [];
    const pass = new CoalescedPass(run, (error) => errors.push(error));
    pass.kick();
    const failure = new Error('database went away');
    await finish(failure);
    expect(errors).toEqual([failure]);
    pass.kick();
    await settle();
    expect(stats.started).toBe(2);
    await finish();
    expect(errors).toHaveLength(1);
  });

  it('a failure during a pass that was kicked again still runs the pass it owes, and a throwing logger stops nothing', async () => {
    const { run, finish, stats } = controlledPasses();
    const pass = new CoalescedPass(run, () => {
      throw new Error('logger broke');
    });
    pass.kick();
    pass.kick();
    await finish(new Error('first pass failed'));
    expect(stats.started).toBe(2);
    await finish();
  });

  it('stop() aborts the signal, waits for the running pass, and no pass starts afterwards', async () => {
    const { run, finish, stats, pending } = controlledPasses();
    const pass = new CoalescedPass(run, () => {});
    pass.kick();
    pass.kick(); // owed a second pass: stop cancels it
    await settle();
    let stopped = false;
    const stopping = pass.stop().then(() => (stopped = true));
    await settle();
    expect(pending[0]!.signal.aborted).toBe(true);
    expect(pass.stopped).toBe(true);
    expect(stopped).toBe(false); // the running pass is still going
    await finish();
    expect(stats.started).toBe(1); // the owed pass was dropped
    await stopping;
    expect(stopped).toBe(true);
    pass.kick();
    await settle();
    expect(stats.started).toBe(1);
  });

  it('stop() with no pass running resolves, and kicks after it run nothing', async () => {
    let runs = 0;
    const pass = new CoalescedPass(async () => void runs++, () => {});
    await pass.stop();
    pass.kick();
    await settle();
    expect(runs).toBe(0);
  });
});
