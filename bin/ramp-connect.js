#!/usr/bin/env node
// The `ramp-connect` command, run from the TypeScript sources through tsx's loader (always current, no
// build step). `npm start` runs the bundle in dist/ instead (scripts/build.js): no loader thread, ~60 MB less.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/run.ts');
