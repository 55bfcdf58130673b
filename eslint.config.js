// ESLint flat config: typed rules everywhere, and a hard ban on Node built-ins inside workflow code,
// which runs in Temporal's deterministic sandbox.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'coverage/', 'config/runway.schema.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  {
    // Product code never depends on stand-ins: fakes and test helpers belong to tests, the sandbox and the bench.
    files: [
      'workflows/**/*.ts',
      'activities/**/*.ts',
      'integrations/**/*.ts',
      'api/**/*.ts',
      'worker/**/*.ts',
      'domain/**/*.ts',
      'config/**/*.ts',
      'platform/**/*.ts',
      'cli/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/fakes/*', '**/test/*', '**/sandbox/*'],
              message: 'Product code may not import fakes/, test/ or sandbox/.',
            },
          ],
        },
      ],
    },
  },
  {
    // Layers read top-down: the domain owns its vocabulary and depends on nothing of Runway's but itself, and
    // the doctor (`runway check`) builds on the adapters, never on the worker process.
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/fakes/*', '**/test/*', '**/sandbox/*'],
              message: 'Product code may not import fakes/, test/ or sandbox/.',
            },
            {
              group: ['**/activities/*', '**/api/*', '**/platform/*', '**/worker/*', '**/workflows/*', '**/config/*'],
              message: 'domain/ is pure and owns its types: it imports only domain/ (and libraries).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['platform/**/*.ts', 'cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/fakes/*', '**/test/*', '**/sandbox/*'],
              message: 'Product code may not import fakes/, test/ or sandbox/.',
            },
            {
              group: ['**/worker/*'],
              message:
                'The doctor and the platform do not import the worker: share through platform/ or integrations/.',
            },
          ],
        },
      ],
    },
  },
  {
    // The API and the activities are siblings: what both need (the GitLab/Argo CD/Slack clients and the Slack
    // message format) lives in integrations/, so the API never reaches into activities/.
    files: ['api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/fakes/*', '**/test/*', '**/sandbox/*'],
              message: 'Product code may not import fakes/, test/ or sandbox/.',
            },
            {
              group: ['**/activities', '**/activities/**'],
              message: 'api/ does not import activities/: share through integrations/, platform/ or domain/.',
            },
          ],
        },
      ],
    },
  },
  {
    // The adapters sit below both their users: they never import the API or the worker process.
    files: ['integrations/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/fakes/*', '**/test/*', '**/sandbox/*'],
              message: 'Product code may not import fakes/, test/ or sandbox/.',
            },
            {
              group: ['**/api', '**/api/**', '**/worker', '**/worker/**'],
              message: 'integrations/ are adapters used by activities/ and api/: they import neither api/ nor worker/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflows run in a deterministic sandbox: no Node built-ins.',
          })),
          patterns: [
            {
              group: ['**/activities/*', '!**/activities/ports', '!**/activities/ports.js'],
              allowTypeImports: true,
              message: 'Workflows may import activity types only.',
            },
            {
              // The ports are the adapters' contract; what a workflow shares with them (notification kinds,
              // app status…) is domain vocabulary, imported from domain/.
              group: ['**/activities/ports', '**/activities/ports.js'],
              message: 'Workflows import shared types from domain/, not from activities/ports.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' }],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use the workflow clock helper.' },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
