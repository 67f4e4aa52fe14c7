/**
 * The shutdown log (src/server.ts): each step of a server's close is named, and one that takes longer
 * than 5 s is logged at warn with its name, so a close that hangs says what it is waiting on. The
 * clock is moved by hand inside a step; nothing waits.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DIALECTS } from '../helpers/test-db.ts';
import { startTestServer } from '../helpers/test-server.ts';

describe('shutdown steps', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a step that took 6 s is logged with its name; the others are not warned about', async () => {
    const t = await startTestServer({ dialect: DIALECTS[0]! });
    const realNow = performance.now.bind(performance);
    let offsetMs = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => realNow() + offsetMs);
    t.server.ctx.onClose(() => {
      offsetMs += 6_000;
    }, 'a slow test step');
    await t.close();
    const warnings = t.logs.map((line) => JSON.parse(line) as { level: number; msg: string; step?: string; ms?: number }).filter((line) => line.msg === 'slow shutdown step');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, step: 'a slow test step' });
    expect(warnings[0]!.ms).toBeGreaterThanOrEqual(6_000);
  });
});
