#!/usr/bin/env node
// Bundles the service into dist/ for `npm start` and deployment: `node scripts/build.js [--outdir DIR]`.
// Why a bundle: tsx's loader runs in its own thread with its own V8 heap, and the serve and sync processes
// carried ~60 MB more resident memory through it than the same code built to JavaScript (measured with
// both on the sync stack: 142 MB vs 80 MB after loading). esbuild is what tsx already transpiles with, so
// the bundle runs the same JavaScript the tests run; it only type-strips and joins, `npm test` type-checks.
// npm packages stay external (better-sqlite3 is native); the lazily imported CLI commands stay lazy chunks.
import { build } from 'esbuild';
import { cpSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const i = process.argv.indexOf('--outdir');
if (i !== -1 && !process.argv[i + 1]) {
  process.stderr.write('usage: node scripts/build.js [--outdir DIR]\n');
  process.exit(2);
}
const outdir = i === -1 ? join(root, 'dist') : resolve(process.argv[i + 1]);

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { 'ramp-connect': 'src/cli/run.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
// The web page's files are read at startup next to the code that serves them (src/web/routes.ts), and every
// chunk sits at the top of outdir.
cpSync(join(root, 'src/web/index.html'), join(outdir, 'index.html'));
cpSync(join(root, 'src/web/favicon.ico'), join(outdir, 'favicon.ico'));
cpSync(join(root, 'src/web/assets'), join(outdir, 'assets'), { recursive: true });
