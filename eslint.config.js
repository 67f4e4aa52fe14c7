// Lint: ESLint's and typescript-eslint's recommended rules, plus the house rules from
// shared/reference/stack-and-style.md (no default exports in our code, no stray console output).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'test-artifacts/**', 'bench/out/**', 'dist/**', '.stryker-tmp/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  { files: ['eslint.config.js', 'vitest.config.ts', 'vitest.mutate.config.ts', 'stryker.config.mjs', '**/*.d.ts'], rules: { 'no-restricted-syntax': 'off' } },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['bench/**', 'test/**', 'src/web/assets/**'], rules: { 'no-console': 'off' } },
  {
    files: ['src/web/assets/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: { window: 'readonly', document: 'readonly', sessionStorage: 'readonly', history: 'readonly', location: 'readonly', setInterval: 'readonly', URLSearchParams: 'readonly', ResizeObserver: 'readonly', Headers: 'readonly' },
    },
    // The page's modules are served as they are: they may import only each other (no server code, no package).
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!\\./[a-z0-9-]+\\.js$)', message: 'src/web/assets imports only sibling ./name.js modules.' }] }],
    },
  },
);
