// The floor: what the engine itself costs for a workflow of N sequential steps that do nothing. The bench
// bundles this file on its own (never part of Runway's workflow bundle) and runs it beside Runway's releases.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { FloorActivities } from './floor-activities.js';

const remote = proxyActivities<FloorActivities>({ startToCloseTimeout: '30 seconds' });
const local = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '30 seconds' });

/** `steps` no-op activities in sequence, each through the task queue (eager dispatch if the server allows it). */
export async function floorRemoteWorkflow(steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) await remote.noop(i);
}

/** `steps` no-op local activities in sequence: run in the worker, inside the workflow task. */
export async function floorLocalWorkflow(steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) await local.noop(i);
}
