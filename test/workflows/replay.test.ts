// Determinism guard: every saved history must replay on the current workflow code. A change that
// breaks this needs patched() or a new workflow type (see docs/workflows.md).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

const dir = fileURLToPath(new URL('../histories/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of saved histories', () => {
  it('has a history for every workflow type', () => {
    const types = new Set(
      files.map((f) => {
        const history = JSON.parse(readFileSync(dir + f, 'utf8')) as {
          events: { workflowExecutionStartedEventAttributes?: { workflowType: { name: string } } }[];
        };
        return history.events[0]!.workflowExecutionStartedEventAttributes!.workflowType.name;
      }),
    );
    expect([...types].sort()).toEqual([
      'environmentLockWorkflow',
      'externalDeployWorkflow',
      'freezeRegistryWorkflow',
      'releaseWorkflow',
      'rollbackWorkflow',
      'serviceLockWorkflow',
      'watcherWorkflow',
    ]);
  });

  it.each(files)('%s replays without non-determinism', async (file) => {
    const history: unknown = JSON.parse(readFileSync(dir + file, 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: { code: inject('workflowBundleCode') } }, history, file);
  });
});
