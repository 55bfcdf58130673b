// Per-test-file harness: a client and workers on the shared dev server, with activities built by
// the real createActivities() over an in-memory world that tests script and inspect.
import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowIdConflictPolicy } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker, type WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';
import { createMemoryWorld, type MemoryWorld, type MemoryWorldOptions } from '../../fakes/memory-world.js';
import { createRunwayWorker } from '../../worker/create-worker.js';
import { releaseWorkflow } from '../../workflows/index.js';
import { startRelease } from '../../api/releases.js';
import type { ReleasePlan } from '../../domain/types.js';
import type { ActivityDeps } from '../../activities/index.js';

let runtimeInstalled = false;

/**
 * How much slower workflows run in this test run: the `temporal-cacheless` project replays every history on every
 * task, so leases and windows a test sets up must allow for it (timings are scaled, never assertions dropped).
 */
export const TIME_SCALE = process.env.RUNWAY_MAX_CACHED_WORKFLOWS === '0' ? 4 : 1;

export interface Harness {
  client: Client;
  world: MemoryWorld;
  taskQueue: string;
  /** `overrides`: worker options for this worker only (a busy worker: one task slot, no cache). */
  startWorker(overrides?: Partial<WorkerOptions>): Promise<RunningWorker>;
  close(): Promise<void>;
}

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

export interface HarnessOptions extends MemoryWorldOptions {
  /** Extra activity deps (Prometheus, an injected clock, lock timings, …) on top of the memory world's ports. */
  deps?: Partial<ActivityDeps>;
  /** Lets a test put faults between the activities and Temporal (the client they use). */
  activityClient?: (client: Client) => Client;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  const address = inject('temporalAddress');
  const code = inject('workflowBundleCode');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address });
  const taskQueue = `test-${randomUUID()}`;
  const { deps: extraDeps, activityClient, ...worldOptions } = options;
  const world = createMemoryWorld({ progressMs: 30, ...worldOptions });
  const workers: RunningWorker[] = [];

  const startWorker = async (overrides: Partial<WorkerOptions> = {}): Promise<RunningWorker> => {
    const worker = await createRunwayWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      deps: { ...world.ports, ...extraDeps, temporal: activityClient?.(client) ?? client, taskQueue },
      workflowBundle: { code },
      overrides: { shutdownGraceTime: '1s', stickyQueueScheduleToStartTimeout: '1s', ...overrides },
    });
    const running = worker.run();
    const handle: RunningWorker = {
      worker,
      stop: async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      },
    };
    workers.push(handle);
    return handle;
  };

  return {
    client,
    world,
    taskQueue,
    startWorker,
    close: async () => {
      for (const w of workers) await w.stop().catch(() => undefined);
      await nativeConnection.close();
      await connection.close();
    },
  };
}

export async function start(h: Harness, plan: ReleasePlan) {
  return startRelease(h.client, plan, { taskQueue: h.taskQueue });
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

export { releaseWorkflow, WorkflowIdConflictPolicy };
export { testPlan, seedEnvironments } from './plans.js';
