import { defineConfig } from 'vitest/config';

// Three projects: `unit` (pure code and integrations against fake/real servers, no Temporal), `temporal`
// (workflows on one shared real Temporal dev server started in globalSetup), and `temporal-cacheless` (the
// workflow suite again with workers that cache no workflow, so every task is a full replay).
// `pool: 'forks'` because Temporal's native bridge misbehaves in worker threads.
export default defineConfig({
  test: {
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/integrations/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'temporal',
          include: ['test/workflows/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/temporal-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The workflow suite again with workers that cache nothing: every workflow task replays the whole history,
        // as a busy worker's evictions make it do. Nondeterminism that only shows on replay fails here.
        extends: true,
        test: {
          name: 'temporal-cacheless',
          include: ['test/workflows/**/*.test.ts'],
          exclude: [
            'test/workflows/replay.test.ts',
            'test/workflows/replay-guard.test.ts',
            'test/workflows/replay-retired.test.ts',
          ],
          env: { RUNWAY_MAX_CACHED_WORKFLOWS: '0' },
          globalSetup: ['test/support/temporal-global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
