// The replay test must be able to fail: an incompatible workflow change is caught by the saved histories.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

describe('replay guard', () => {
  it('rejects an incompatible change to releaseWorkflow with a determinism error', async () => {
    const workflowsPath = fileURLToPath(new URL('../support/changed-workflows/index.ts', import.meta.url));
    const bundle = await bundleWorkflowCode({
      workflowsPath,
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    const history: unknown = JSON.parse(
      readFileSync(new URL('../histories/release-succeeded.json', import.meta.url), 'utf8'),
    );
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, 'changed')).rejects.toMatchObject({
      name: 'DeterminismViolationError',
    });
  });
});
