/**
 * The architecture rules hold and would catch a break: dependency-cruiser with the project's own
 * config fails on a tree that breaks each rule; ARCHITECTURE.md lists the layers the rules use, in
 * their order; every `docs/…#anchor` a comment cites exists; the connection row and the claim
 * statement each have one home.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const { LAYERS } = require(join(root, 'scripts', 'architecture-layers.cjs')) as { LAYERS: { name: string; path: string; why: string }[] };
const depcruiseBin = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

function depcruise(cwd: string): { status: number | null; violations: { rule: string; from: string; to: string }[] } {
  // The `err` reporter is what `npm run lint` uses: its exit status is the number of errors.
  const run = spawnSync(process.execPath, [depcruiseBin, 'src', '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'err'], { cwd, encoding: 'utf8' });
  const violations = [...run.stdout.matchAll(/^\s*error ([\w-]+): (\S+) → (\S*)/gm)].map((m) => ({ rule: m[1]!, from: m[2]!, to: m[3]! }));
  return { status: run.status, violations };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('dependency rules', () => {
  const fixture = mkdtempSync(join(tmpdir(), 'arch-rules-'));
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(fixture, path)), { recursive: true });
    writeFileSync(join(fixture, path), text);
  };
  write('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true } }));

  it('a tree that breaks every rule fails, naming each broken rule', () => {
    write('src/http/route.ts', 'export const route = 1;\n');
    write('src/tokens/leans-on-http.ts', "import { route } from '../http/route.ts';\nexport const a = route;\n");
    write('src/sync/higher.ts', 'export const higher = 1;\n');
    write('src/ramp/leans-on-sync.ts', "import { higher } from '../sync/higher.ts';\nexport const b = higher;\n");
    write('src/ramp/client.ts', 'export const client = 1;\n');
    write('src/emulator/leans-on-ramp.ts', "import { client } from '../ramp/client.ts';\nexport const c = client;\n");
    write('src/emulator/app.ts', 'export const emulator = 1;\n');
    write('src/events/leans-on-emulator.ts', "import { emulator } from '../emulator/app.ts';\nexport const d = emulator;\n");
    write('src/web/assets/page.js', "import { route } from '../../http/route.ts';\nexport const e = route;\n");
    write('src/sync/loop-a.ts', "import { b } from './loop-b.ts';\nexport const a = () => b;\n");
    write('src/sync/loop-b.ts', "import { a } from './loop-a.ts';\nexport const b = () => a;\n");
    const { status, violations } = depcruise(fixture);
    expect(status).not.toBe(0);
    const rules = new Set(violations.map((v) => v.rule));
    for (const rule of ['domain-not-adapters', 'layer-tokens', 'layer-ramp', 'emulator-isolated', 'only-composition-starts-the-emulator', 'web-assets-browser-only', 'no-circular']) {
      expect(rules, rule).toContain(rule);
    }
  });

  it('src/ itself breaks none', () => {
    const { status, violations } = depcruise(root);
    expect(violations).toEqual([]);
    expect(status).toBe(0);
  });
});

describe('layer membership', () => {
  it('every file of src/ is in exactly one layer, or in the emulator or the page (a new folder must be placed)', () => {
    const outside = /^src\/(emulator|web\/assets)\//;
    const unplaced: string[] = [];
    for (const file of filesUnder(join(root, 'src')).map((f) => relative(root, f).split('\\').join('/'))) {
      if (outside.test(file)) continue;
      const layers = LAYERS.filter((l) => new RegExp(l.path).test(file)).map((l) => l.name);
      if (layers.length !== 1) unplaced.push(`${file}: ${layers.join(', ') || 'no layer'}`);
    }
    expect(unplaced).toEqual([]);
  });
});

describe('ARCHITECTURE.md', () => {
  const doc = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');

  it('lists the layers the rules enforce, in the same order and with the same meaning', () => {
    const table = doc.split('<!-- layers:start')[1]!.split('<!-- layers:end -->')[0]!;
    const rows = table
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| layer') && !line.startsWith('|---'))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    expect(rows.map((cells) => cells[1])).toEqual(LAYERS.map((l) => l.name));
    expect(rows.map((cells) => cells[3])).toEqual(LAYERS.map((l) => l.why));
  });

  it('names, for each layer, folders that its rule path matches', () => {
    const table = doc.split('<!-- layers:start')[1]!.split('<!-- layers:end -->')[0]!;
    for (const line of table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| layer'))) {
      const [, name, folders] = line.split('|').map((cell) => cell.trim());
      const layer = LAYERS.find((l) => l.name === name)!;
      for (const folder of folders!.match(/`[^`]+`/g)!) {
        const path = folder.slice(1, -1).replace('*.ts', 'routes.ts');
        expect(new RegExp(layer.path).test(path.endsWith('.ts') ? path : `${path}/x.ts`), `${name}: ${path}`).toBe(true);
      }
    }
  });
});

describe('cited documents', () => {
  const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
  const anchorsOf = (file: string) => {
    const text = readFileSync(join(root, 'docs', file), 'utf8');
    const headings = [...text.matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]!));
    const ids = [...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]!);
    return new Set([...headings, ...ids]);
  };

  it('every docs/…#anchor cited in the code, tests and docs exists', () => {
    const sources = ['src', 'test', 'bench'].flatMap((dir) => filesUnder(join(root, dir))).filter((f) => /\.(ts|js|md)$/.test(f));
    sources.push(join(root, 'README.md'), join(root, 'ARCHITECTURE.md'));
    const missing: string[] = [];
    let cited = 0;
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/docs\/([a-z-]+\.md)#([a-z0-9-]+)((?:–#[a-z0-9-]+)?)/g)) {
        cited++;
        const anchors = anchorsOf(m[1]!);
        for (const anchor of [m[2]!, ...(m[3] ? [m[3].slice(2)] : [])]) if (!anchors.has(anchor)) missing.push(`${relative(root, file)}: docs/${m[1]}#${anchor}`);
      }
    }
    expect(cited).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it('no comment cites a document that is not in the repository', () => {
    const outside = /ramp-and-dayzero-api\.md|security-reliability\.md|design\.md|checklist #\d/;
    const offenders = ['src', 'test', 'bench']
      .flatMap((dir) => filesUnder(join(root, dir)))
      .map((f) => relative(root, f))
      .filter((f) => /\.(ts|js)$/.test(f) && f !== 'test/architecture/architecture.test.ts')
      .filter((f) => outside.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});

describe('one home each', () => {
  const code = filesUnder(join(root, 'src'))
    .filter((f) => f.endsWith('.ts') && !f.includes('/src/emulator/'))
    .map((f) => ({ path: relative(root, f), text: readFileSync(f, 'utf8') }));

  it('only src/connections writes the ramp_connections row', () => {
    const writers = code.filter((f) => /(updateTable|insertInto|deleteFrom)\('ramp_connections'\)|table: 'ramp_connections'/.test(f.text)).map((f) => f.path);
    expect(writers.filter((p) => !p.startsWith('src/connections/') && p !== 'src/vault/encrypted-tables.ts')).toEqual([]);
  });

  it('the claim statement (MATERIALIZED … SKIP LOCKED) is written once', () => {
    expect(code.filter((f) => /\.materialized\(\)|skipLocked\(\)/.test(f.text)).map((f) => f.path)).toEqual(['src/core/claim-due.ts']);
  });
});
