// What a canary step costs Runway (issue 14's "overhead per canary step"): a Rollout with six indefinite pauses,
// no checks and no approver, so each pause is answered as fast as Runway can: the time from the controller's
// pause to Runway's resume, and the workflow history events per step against the same release without pauses.
// Prints the numbers; asserts only loose upper bounds (this machine is shared).
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRolloutApiClient } from '../../integrations/argocd-rollout.js';
import { startRelease } from '../../api/releases.js';
import type { ReleasePlan } from '../../domain/types.js';
import { FakeArgoRollouts, type FakeCanaryStep } from '../../fakes/argo-rollouts.js';
import { createRunwayWorker } from '../../worker/create-worker.js';
import { APPROVERS, createIntegrationWorld, type IntegrationWorld } from '../support/integration-world.js';
import { TIME_SCALE } from '../support/harness.js';

const PAUSES = 6;
const STEPS: FakeCanaryStep[] = Array.from({ length: PAUSES }, (_, i): FakeCanaryStep[] => [
  { setWeight: Math.round(((i + 1) * 100) / (PAUSES + 1)) },
  { pause: {} },
]).flat();
const [WITH, WITHOUT] = ['steps', 'nosteps'].map((n) => `${n}-${randomUUID().slice(0, 5)}`) as [string, string];

let world: IntegrationWorld;
let rollouts: FakeArgoRollouts;
let connection: Connection;
let native: NativeConnection;
let client: Client;

beforeAll(async () => {
  if (!Runtime.instantiator) Runtime.install({ logger: new DefaultLogger('ERROR') });
  world = await createIntegrationWorld({ services: [WITH, WITHOUT] });
  rollouts = new FakeArgoRollouts({ podReadyMs: 10 });
  world.argocd.attachRollouts(rollouts);
  for (const name of [WITH, WITHOUT]) {
    rollouts.add({
      application: `${name}-production`,
      name,
      namespace: name,
      replicas: 9,
      image: `${world.service(name).imageRepository}:${world.previousTag}`,
      canary: { steps: name === WITH ? STEPS : [] },
    });
  }
  const address = inject('temporalAddress');
  connection = await Connection.connect({ address });
  client = new Client({ connection });
  native = await NativeConnection.connect({ address });
}, 120_000);

afterAll(async () => {
  rollouts?.close();
  await native?.close();
  await connection?.close();
  await world?.close();
});

function plan(service: string): ReleasePlan {
  const base = world.plan(service);
  const production = base.environments.find((e) => e.name === 'production')!;
  const rollout = {
    name: service,
    namespace: service,
    approveSteps: false,
    verifyEachStep: false,
    promoters: [...APPROVERS],
  };
  return { ...base, environments: [{ ...production, approval: undefined, rollout }] };
}

describe('canary overhead', () => {
  it('answers each pause within a poll interval and a few activities, at a bounded history cost', async () => {
    const taskQueue = `overhead-${randomUUID()}`;
    const worker = await createRunwayWorker({
      connection: native,
      namespace: 'default',
      taskQueue,
      deps: {
        ...world.deps(client, taskQueue),
        rollouts: () => createRolloutApiClient({ url: world.argocd.url, token: world.argocd.token }),
      },
      workflowBundle: { code: inject('workflowBundleCode') },
      overrides: { shutdownGraceTime: '1s', stickyQueueScheduleToStartTimeout: '1s' },
    });
    const running = worker.run();
    try {
      const events: Record<string, number> = {};
      for (const service of [WITHOUT, WITH]) {
        const p = plan(service);
        await world.pushImage(service, p.image.tag);
        const { handle } = await startRelease(client, p, { taskQueue });
        expect((await handle.result()).status).toBe('succeeded');
        events[service] = (await handle.fetchHistory()).events?.length ?? 0;
      }
      const answered = rollouts.pauses.filter((x) => x.rollout === `${WITH}/${WITH}` && x.resumedAt);
      expect(answered).toHaveLength(PAUSES);
      const latencies = answered.map((x) => x.resumedAt! - x.pausedAt).sort((a, b) => a - b);
      const perStepEvents = (events[WITH]! - events[WITHOUT]!) / PAUSES;
      console.log(
        `canary overhead: ${PAUSES} pauses; pause→resume median ${latencies[Math.floor(PAUSES / 2)]} ms, max ${latencies.at(-1)} ms ` +
          `(poll interval 25 ms); history ${events[WITHOUT]} events without steps, ${events[WITH]} with: ${perStepEvents.toFixed(1)} events per pause`,
      );
      expect(latencies.at(-1)!).toBeLessThan(5_000 * TIME_SCALE);
      expect(perStepEvents).toBeLessThan(200);
    } finally {
      worker.shutdown();
      await running;
    }
  });
});
