// Per-test-file harness: a client and workers on the shared dev server, with activities built by
// the real createActivities() over an in-memory world that tests script and inspect.
import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowIdConflictPolicy } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createMemoryWorld, type MemoryWorld, type MemoryWorldOptions } from '../../activities/memory/world.js';
import { createRunwayWorker } from '../../worker/create-worker.js';
import type { ReleasePlan } from '../../domain/types.js';
import { releaseWorkflow } from '../../workflows/index.js';
import { startRelease } from '../../api/releases.js';

let runtimeInstalled = false;

export interface Harness {
  client: Client;
  world: MemoryWorld;
  taskQueue: string;
  startWorker(): Promise<RunningWorker>;
  close(): Promise<void>;
}

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

export async function createHarness(options: MemoryWorldOptions = {}): Promise<Harness> {
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
  const world = createMemoryWorld({ progressMs: 30, ...options });
  const workers: RunningWorker[] = [];

  const startWorker = async (): Promise<RunningWorker> => {
    const worker = await createRunwayWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      deps: { ...world.ports, temporal: client, taskQueue },
      workflowBundle: { code },
      overrides: { shutdownGraceTime: '1s', stickyQueueScheduleToStartTimeout: '1s' },
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

/** A plan with short timings, two environments (staging automatic, production with approval). */
export function testPlan(overrides: Partial<ReleasePlan> & { sha?: string; service?: string } = {}): ReleasePlan {
  const service = overrides.service ?? `svc-${randomUUID().slice(0, 8)}`;
  const sha = overrides.sha ?? randomUUID().replace(/-/g, '').padEnd(40, '0').slice(0, 40);
  const { sha: _s, service: _v, ...rest } = overrides;
  return {
    releaseId: `release/${service}/${sha}`,
    service,
    project: { id: `acme/${service}`, webUrl: `https://gitlab.example.com/acme/${service}` },
    commit: { sha, ref: 'main', title: 'Add a feature' },
    mergeRequest: { iid: 42, title: 'Add a feature', url: `https://gitlab.example.com/acme/${service}/-/merge_requests/42` },
    image: { repository: `registry.example.com/acme/${service}`, tag: sha },
    infra: { driver: 'memory', repository: 'acme/infra', branch: 'main' },
    rollback: 'environment',
    environments: [
      {
        name: 'staging',
        target: { kind: 'kustomize', file: `apps/${service}/staging/kustomization.yaml`, name: `registry.example.com/acme/${service}` },
        argocd: { application: `${service}-staging` },
        healthTimeoutMs: 10_000,
        degradedGraceMs: 100,
      },
      {
        name: 'production',
        target: { kind: 'helm', file: `apps/${service}/production/values.yaml`, tagPath: 'image.tag' },
        argocd: { application: `${service}-production` },
        healthTimeoutMs: 10_000,
        degradedGraceMs: 100,
        approval: { channel: '#prod-approvals', approvers: ['U_ALICE', 'bob'], timeoutMs: 60_000 },
      },
    ],
    pipeline: { timeoutMs: 30_000, pollIntervalMs: 200 },
    notify: { channel: '#releases' },
    logsUrlTemplate: 'https://grafana.example.com/explore?service={service}&env={environment}&from={from}&to={to}',
    timing: { heartbeatTimeoutMs: 2_000, pollIntervalMs: 25, retryInitialIntervalMs: 50 },
    ...rest,
  };
}

/** Seeds the world so every environment of the plan currently runs `previousTag`. */
export function seedEnvironments(world: MemoryWorld, plan: ReleasePlan, previousTag = 'v1.0.0'): void {
  for (const env of plan.environments) world.infra.seed(env.target, { repository: plan.image.repository, tag: previousTag });
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
