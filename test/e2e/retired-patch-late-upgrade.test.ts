// An install that deployed the version with a patch later than it shipped has old-path runs started after the
// registry's day: for a patch asked in the first workflow task (`local-activities`), the guard reads each later open
// run's first task and counts the runs whose markers show the old path. Real dev server; the runs are stand-ins
// named `releaseWorkflow` (test/support/first-task-workflows) whose first task records the markers given.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findRetiredPatchRuns } from '../../platform/retired-patch-runs.js';
import { firstTaskPatchMarkers } from '../../platform/first-task-markers.js';
import { quietBundleLogger } from '../../worker/bundle-logger.js';

const taskQueue = `late-upgrade-${randomUUID()}`;
const runs = {
  [`release/before-2026-11-21/${taskQueue}`]: [],
  [`release/local-activities/${taskQueue}`]: ['local-activities'],
  [`release/current/${taskQueue}`]: ['no-local-activities', 'environment-locks', 'timeline-memo'],
} as Record<string, string[]>;
const notStarted = `release/no-task-yet/${taskQueue}`;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: inject('temporalAddress') }),
    taskQueue,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../support/first-task-workflows/index.ts', import.meta.url)),
      logger: quietBundleLogger,
    }),
  });
  await worker.runUntil(async () => {
    for (const [workflowId, markers] of Object.entries(runs)) {
      const handle = await client.workflow.start('releaseWorkflow', { workflowId, taskQueue, args: [{ markers }] });
      for (let i = 0; i < 100 && !(await firstTaskPatchMarkers(client, workflowId, handle.firstExecutionRunId)); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  // Started after the worker stopped: its first task never ran, so it has no commands and replays on any code.
  await client.workflow.start('releaseWorkflow', { workflowId: notStarted, taskQueue, args: [{ markers: [] }] });
  const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`;
  for (let i = 0; i < 100 && (await client.workflow.count(query)).count < 4; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
}, 120_000);

afterAll(async () => {
  for (const workflowId of [...Object.keys(runs), notStarted]) {
    await client.workflow.getHandle(workflowId).terminate('test over');
  }
  await connection.close();
});

describe('retired patch guard after a late upgrade', () => {
  it('reads the markers of a run first task', async () => {
    const id = `release/current/${taskQueue}`;
    const { runId } = await client.workflow.getHandle(id).describe();
    expect(await firstTaskPatchMarkers(client, id, runId)).toEqual(runs[id]);
    const waiting = await client.workflow.getHandle(notStarted).describe();
    expect(await firstTaskPatchMarkers(client, notStarted, waiting.runId)).toBeUndefined();
  });

  it('finds the run started today on the old path, and only it', async () => {
    const found = await findRetiredPatchRuns(client, { taskQueue });
    expect(found).toEqual([
      expect.objectContaining({
        patches: ['status-before-decided-notification', 'local-activities'],
        count: 1,
        workflowIds: [`release/before-2026-11-21/${taskQueue}`],
      }),
    ]);
  });
});
