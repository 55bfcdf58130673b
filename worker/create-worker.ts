// Builds the Runway worker. Production loads a pre-built workflow bundle (RUNWAY_WORKFLOW_BUNDLE, or the one
// `npm run build` writes beside the compiled code); development bundles workflows/ on start.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';

/** True when this file runs as compiled JavaScript (dist/worker/create-worker.js), false under tsx. */
const COMPILED = import.meta.url.endsWith('.js');

/** The workflows' entry, in whichever form this process runs: workflows/index.ts, or dist/workflows/index.js. */
export const WORKFLOWS_PATH = fileURLToPath(new URL(`../workflows/index.${COMPILED ? 'js' : 'ts'}`, import.meta.url));

/** Where `npm run build` puts the bundle relative to the compiled worker: dist/workflow-bundle.js. */
export const COMPILED_BUNDLE_PATH = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

/**
 * Where the worker's workflow code comes from: $RUNWAY_WORKFLOW_BUNDLE; else, for compiled code, the bundle the
 * same `npm run build` wrote beside it (so `node dist/worker/main.js` starts without webpack); else the sources.
 */
export function workflowSource(
  env: NodeJS.ProcessEnv,
): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  if (env.RUNWAY_WORKFLOW_BUNDLE) return { workflowBundle: { codePath: env.RUNWAY_WORKFLOW_BUNDLE } };
  if (COMPILED && existsSync(COMPILED_BUNDLE_PATH)) return { workflowBundle: { codePath: COMPILED_BUNDLE_PATH } };
  return { workflowsPath: WORKFLOWS_PATH };
}

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
  const source = options.workflowBundle ? { workflowBundle: options.workflowBundle } : workflowSource(process.env);
  return Worker.create({
    ...tuningFromEnv(process.env),
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    ...source,
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
