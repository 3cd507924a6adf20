// ESLint for lab: typescript-eslint's type-aware rules on src/ and test/, the
// plain recommended rules on the scripts and the report page. Prettier owns the
// layout (eslint-config-prettier turns off the rules it would fight) except the
// line length, which Prettier only aims at: max-len holds it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const readonly = (names) => Object.fromEntries(names.map((name) => [name, 'readonly']));
const nodeGlobals = readonly([
  'process',
  'console',
  'Buffer',
  'URL',
  'performance',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
]);
// the page runs in a browser, after d3, d3-flame-graph and uPlot (inlined by report/html.ts)
const pageGlobals = readonly([
  'window',
  'document',
  'devicePixelRatio',
  'getComputedStyle',
  'd3',
  'flamegraph',
  'uPlot',
]);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test/data/', 'test/fixtures/', 'bench/results/', '.lab/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // tsconfig.test.json: src/ and test/ in one program, so tests are checked against the sources' types
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `const { omitted: _, ...rest } = x` is how the code drops a field from a copy
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // tests parse lab's --json output and files as `any` on purpose: expect() is the check
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // fakes implement async interfaces with synchronous bodies, and tests throw from async callbacks
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: ['src/report/page/*.js'],
    languageOptions: { sourceType: 'script', globals: pageGlobals },
  },
  prettier,
  {
    // after eslint-config-prettier, which turns max-len off: Prettier breaks code, never strings or comments
    rules: { 'max-len': ['error', { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true }] },
  },
);
