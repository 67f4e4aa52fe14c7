// Architecture rules, checked by `npm run lint` (depcruise). The layer order lives in
// scripts/architecture-layers.cjs; ARCHITECTURE.md explains it. Every rule is an error.
'use strict';
const { LAYERS, DOMAIN } = require('./scripts/architecture-layers.cjs');

const layerRules = LAYERS.map((layer, i) => {
  const higher = LAYERS.slice(i + 1).map((l) => `(${l.path})`);
  return higher.length === 0
    ? null
    : { name: `layer-${layer.name}`, comment: `${layer.name} may import only itself and the layers below it (scripts/architecture-layers.cjs)`, severity: 'error', from: { path: layer.path }, to: { path: higher.join('|') } };
}).filter(Boolean);

const domainPaths = LAYERS.filter((l) => DOMAIN.includes(l.name)).map((l) => `(${l.path})`).join('|');

module.exports = {
  forbidden: [
    {
      name: 'domain-not-adapters',
      comment: 'Domain folders hold the rules of the business; HTTP, the CLI and the page sit on them, never under them.',
      severity: 'error',
      from: { path: domainPaths },
      to: { path: '^src/(http|cli|web)/' },
    },
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'No import loop between modules of src/.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'web-panels-independent',
      comment: 'A page panel never imports another panel, the session or the flows above it; it calls them through actions.js, which app.js wires.',
      severity: 'error',
      from: { path: '^src/web/assets/[a-z0-9-]+-panel\\.js$' },
      to: { path: '^src/web/assets/([a-z0-9-]+-panel|session|refresh|disconnect-dialog|app)\\.js$' },
    },
    {
      name: 'emulator-isolated',
      comment: 'The emulator stands in for Ramp: it shares no code with the client side.',
      severity: 'error',
      from: { path: '^src/emulator/' },
      to: { path: '^src/', pathNot: '^src/emulator/' },
    },
    {
      name: 'only-composition-starts-the-emulator',
      comment: 'Only the process assembly and the `emulator` command start the emulator; nothing else may lean on its internals.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(emulator/|features\\.ts$|server\\.ts$|cli/commands/emulator\\.ts$)' },
      to: { path: '^src/emulator/' },
    },
    {
      name: 'web-assets-browser-only',
      comment: 'The page runs in the browser: it imports only its own modules.',
      severity: 'error',
      from: { path: '^src/web/assets/' },
      to: { pathNot: '^src/web/assets/' },
    },
    {
      name: 'no-server-imports-web-assets',
      comment: 'Server code serves the page files; it never imports them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/web/assets/' },
      to: { path: '^src/web/assets/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve would slip past every other rule.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    // Type-only imports count: a type import is still a dependency on the layer that owns it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'], exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
