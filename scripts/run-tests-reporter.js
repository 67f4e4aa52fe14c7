// vitest reporter used by scripts/run-tests.js: one progress line per finished file (so a long run never
// looks stuck), a heartbeat naming the files still running, and the honest tally run-tests.js prints.
//
// The tally is written to $RUN_TESTS_STATE after every file, not only at the end, so a run that crashes
// still leaves what it learned. Counting rules (vitest's own counts are too kind):
// - a test skipped because a beforeAll/beforeEach of its suite or file failed counts as failed;
// - a file whose errors failed no test of its own (import error, failing afterAll) counts as 1 failed;
// - every unhandled error (a rejection or exception escaping a test) counts as 1 failed.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { clearInterval, setInterval } from 'node:timers';

// A "still running" line after this long without output (RUN_TESTS_HEARTBEAT_MS, for the reporter's own test).
const HEARTBEAT_MS = Number(process.env.RUN_TESTS_HEARTBEAT_MS) || 30_000;

// eslint-disable-next-line no-restricted-syntax -- vitest loads a reporter file by its default export
export default class RunTestsReporter {
  #state = { complete: false, files: [], finished: {}, unhandled: 0 };
  #running = new Map(); // module id → start time
  #start = Date.now();
  #lastLine = Date.now();
  #timer;

  onTestRunStart(specifications) {
    this.#state.files = [...new Set(specifications.map((s) => relative(process.cwd(), s.moduleId)))];
    this.#save();
    this.#timer = setInterval(() => this.#heartbeat(), Math.min(5_000, HEARTBEAT_MS));
    this.#timer.unref();
  }

  onTestModuleStart(testModule) {
    this.#running.set(testModule.moduleId, Date.now());
  }

  onTestModuleEnd(testModule) {
    this.#running.delete(testModule.moduleId);
    const file = relative(process.cwd(), testModule.moduleId);
    const tally = tallyModule(testModule);
    this.#state.finished[file] = tally;
    this.#save();
    const done = Object.keys(this.#state.finished).length;
    const seconds = (testModule.diagnostic().duration / 1000).toFixed(1);
    const mark = tally.failed > 0 ? 'FAIL' : 'ok  ';
    this.#print(`[${done}/${this.#state.files.length} files, ${clock(Date.now() - this.#start)}] ${mark} ${file} · ${seconds} s · ${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped`);
  }

  onTestRunEnd(testModules, unhandledErrors) {
    clearInterval(this.#timer);
    // Files vitest finished without an onTestModuleEnd (e.g. a run cut short) are tallied here.
    for (const testModule of testModules) {
      const file = relative(process.cwd(), testModule.moduleId);
      this.#state.finished[file] ??= tallyModule(testModule);
    }
    this.#state.unhandled = unhandledErrors.length;
    this.#state.complete = true;
    this.#save();
  }

  #heartbeat() {
    if (Date.now() - this.#lastLine < HEARTBEAT_MS || this.#running.size === 0) return;
    const now = Date.now();
    const files = [...this.#running].map(([id, since]) => `${relative(process.cwd(), id)} (${Math.round((now - since) / 1000)} s)`);
    this.#print(`[${Object.keys(this.#state.finished).length}/${this.#state.files.length} files, ${clock(now - this.#start)}] still running: ${files.join(', ')}`);
  }

  #print(line) {
    this.#lastLine = Date.now();
    process.stdout.write(`${line}\n`);
  }

  #save() {
    if (process.env.RUN_TESTS_STATE) writeFileSync(process.env.RUN_TESTS_STATE, JSON.stringify(this.#state));
  }
}

function tallyModule(testModule) {
  const tally = { passed: 0, failed: 0, skipped: 0 };
  for (const test of testModule.children.allTests()) {
    const state = test.result().state;
    if (state === 'passed') tally.passed++;
    else if (state === 'failed' || (state === 'skipped' && meantToRun(test) && hookFailedAbove(test))) tally.failed++;
    else if (state === 'skipped') tally.skipped++;
    else tally.failed++; // still pending when its file ended: it never finished
  }
  if (tally.failed === 0 && (testModule.errors().length > 0 || testModule.state() === 'failed')) tally.failed = 1;
  return tally;
}

/** Not skipped on purpose (`it.skip`, `it.todo`, another test's `.only`). */
function meantToRun(test) {
  return test.options.mode === 'run' || test.options.mode === 'only';
}

/** True when a suite (or the file) holding this test has errors: a hook failed, so the test never ran. */
function hookFailedAbove(test) {
  for (let parent = test.parent; parent; parent = parent.type === 'module' ? undefined : parent.parent) {
    if (parent.errors().length > 0) return true;
  }
  return false;
}

function clock(ms) {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
