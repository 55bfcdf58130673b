// A canary whose worker PROCESS is SIGKILLed while the Rollout waits at a pause (no shutdown: whatever was in
// flight dies with it): the next process picks the release up at the same step, the Rollout is resumed once per
// pause (never twice, never skipped), and the release promotes. The world (fakes with the Rollout controller,
// git repo, registry) lives in this test process, so it survives the kills.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRelease } from '../../api/releases.js';
import { startWorkerProcess, type WorkerHandle } from '../../chaos/workers.js';
import { FakeArgoRollouts, podTemplateHash } from '../../fakes/argo-rollouts.js';
import { canaryCommandUpdate } from '../../workflows/canary-messages.js';
import { statusQuery } from '../../workflows/messages.js';
import { waitFor } from '../support/harness.js';
import {
  APPROVERS,
  RELEASES_CHANNEL,
  createIntegrationWorld,
  type IntegrationWorld,
  worldAddress,
} from '../support/integration-world.js';

const SERVICE = `canary-kill-${randomUUID().slice(0, 6)}`;
let world: IntegrationWorld;
let rollouts: FakeArgoRollouts;
let client: Client;
let connection: Connection;
const dir = mkdtempSync(path.join(tmpdir(), 'runway-canary-durability-'));
const workers: WorkerHandle[] = [];

beforeAll(async () => {
  world = await createIntegrationWorld({ services: [SERVICE] });
  rollouts = new FakeArgoRollouts({ podReadyMs: 30 });
  world.argocd.attachRollouts(rollouts);
  rollouts.add({
    application: `${SERVICE}-production`,
    name: SERVICE,
    namespace: SERVICE,
    replicas: 9,
    image: `${world.service(SERVICE).imageRepository}:${world.previousTag}`,
    canary: { steps: [{ setWeight: 11 }, { pause: {} }, { setWeight: 33 }, { pause: {} }, { setWeight: 100 }] },
  });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.sigkill();
  rollouts?.close();
  await connection?.close();
  await world?.close();
});

function spawn(taskQueue: string, bundlePath: string, n: number): WorkerHandle {
  const address = worldAddress(world, path.join(dir, `cache-${n}`));
  const w = startWorkerProcess({
    address: inject('temporalAddress'),
    taskQueue,
    bundlePath,
    world: address,
    logFile: path.join(dir, 'workers.log'),
  });
  workers.push(w);
  return w;
}

describe('canary durability', () => {
  it('survives SIGKILL of the worker process at a pause and resumes at the same step', async () => {
    const taskQueue = `canary-kill-${randomUUID()}`;
    const bundlePath = path.join(dir, 'bundle.js');
    writeFileSync(bundlePath, inject('workflowBundleCode'));
    const base = world.plan(SERVICE);
    const production = base.environments.find((e) => e.name === 'production')!;
    const plan = {
      ...base,
      environments: [
        {
          ...production,
          approval: undefined,
          healthTimeoutMs: 90_000,
          rollout: {
            name: SERVICE,
            namespace: SERVICE,
            approveSteps: true,
            verifyEachStep: true,
            promoters: [...APPROVERS],
          },
        },
      ],
      notify: { channel: RELEASES_CHANNEL.id },
    };
    await world.pushImage(SERVICE, plan.image.tag);
    const waitingAt = (step: string) =>
      waitFor(async () => {
        const t = await handle.query(statusQuery).catch(() => undefined);
        const stage = t?.stages.find((s) => s.kind === 'canary');
        return stage?.details.gate === 'waiting' && String(stage.details.step).startsWith(step) ? t : undefined;
      }, 60_000);

    let worker = spawn(taskQueue, bundlePath, 1);
    await worker.ready;
    const { handle } = await startRelease(client, plan, { taskQueue });
    await waitingAt('canary step 2 of 5');
    await worker.sigkill(); // killed while the Rollout waits at step 2
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(rollouts.get(SERVICE, SERVICE)!.status.currentStepIndex).toBe(1);

    worker = spawn(taskQueue, bundlePath, 2);
    await worker.ready;
    const given = await handle.executeUpdate(canaryCommandUpdate, {
      args: [{ environment: 'production', by: APPROVERS[0], action: 'promote' }],
    });
    expect(given.step).toBe('canary step 2 of 5: 11 % (1 of 9 pods)');
    await waitingAt('canary step 4 of 5');
    await worker.sigkill(); // and again at step 4

    worker = spawn(taskQueue, bundlePath, 3);
    await worker.ready;
    await handle.executeUpdate(canaryCommandUpdate, {
      args: [{ environment: 'production', by: APPROVERS[1], action: 'promote' }],
    });
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(workers.some((w) => w.crashed())).toBe(false);
    // One resume per pause, though two processes died at them; promoted on the new version.
    expect(rollouts.log.filter((l) => l.startsWith(`${SERVICE}/${SERVICE} resume`))).toHaveLength(2);
    const live = rollouts.get(SERVICE, SERVICE)!;
    expect(live.status.stableRS).toBe(podTemplateHash(`${world.service(SERVICE).imageRepository}:${plan.image.tag}`));
    const log = await world.infra.log();
    expect(log.filter((c) => c.trailers['Runway-Change']?.startsWith(plan.releaseId))).toHaveLength(1);
  }, 240_000);
});
