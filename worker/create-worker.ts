// Builds the Runway worker. Production loads a pre-built workflow bundle when RUNWAY_WORKFLOW_BUNDLE
// points at one; development bundles workflows/ on start.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Pre-bundled workflow code (tests bundle once per run; production builds it at image build time). */
  workflowBundle?: { code: string } | { codePath: string };
  overrides?: Partial<WorkerOptions>;
}

export async function createRunwayWorker(options: CreateWorkerOptions): Promise<Worker> {
  const bundlePath = process.env.RUNWAY_WORKFLOW_BUNDLE;
  const workflowSource = options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : bundlePath
      ? { workflowBundle: { codePath: bundlePath } }
      : { workflowsPath: WORKFLOWS_PATH };
  return Worker.create({
    ...tuningFromEnv(process.env),
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    ...workflowSource,
    ...options.overrides,
  });
}

/**
 * Operator knobs (docs/benchmarks.md explains the trade-off): each cached workflow costs about 1 MB; a cache
 * smaller than the workflows in flight makes the worker replay histories on most tasks.
 */
export function tuningFromEnv(env: NodeJS.ProcessEnv): Partial<WorkerOptions> {
  const out: Partial<WorkerOptions> = {};
  const cached = Number(env.RUNWAY_MAX_CACHED_WORKFLOWS);
  // 0 is allowed: a worker that caches nothing replays the whole history on every task (the cacheless test run).
  if (env.RUNWAY_MAX_CACHED_WORKFLOWS?.trim() && Number.isInteger(cached) && cached >= 0)
    out.maxCachedWorkflows = cached;
  const threads = Number(env.RUNWAY_WORKFLOW_THREADS);
  if (Number.isInteger(threads) && threads > 0) out.workflowThreadPoolSize = threads;
  return out;
}
