import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusQuery } from '../../workflows/messages.js';
import { createHarness, seedEnvironments, start, testPlan, waitFor, type Harness } from '../support/harness.js';
import { detailsOf } from '../support/stages.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ progressMs: 30 });
  await h.startWorker();
});
afterAll(async () => h?.close());

describe('release: cancellation', () => {
  it('cancelling during the health wait still runs compensation (non-cancellable)', async () => {
    const plan = testPlan();
    seedEnvironments(h.world, plan);
    h.world.registry.publish(plan.image);
    // this app never settles on the new image, so the release sits in the health wait
    h.world.argocd.degradeWhen(`${plan.service}-staging`, () => false);
    const stagingTarget = plan.environments[0]!.target;
    const slow = {
      ...plan,
      environments: [{ ...plan.environments[0]!, degradedGraceMs: 60_000 }, plan.environments[1]!],
    };
    h.world.argocd.degradeWhen(`${plan.service}-staging`, (image) => image.tag === plan.image.tag);
    const { handle } = await start(h, slow);
    await waitFor(async () => {
      const t = await handle.query(statusQuery);
      return t.stage === 'deploy:staging' && detailsOf(t.stages.at(-1), 'deploy')?.infraCommit !== undefined;
    });
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);

    const t = await handle.query(statusQuery);
    expect(t.status).toBe('cancelled');
    expect(t.stages.map((s) => `${s.kind}:${s.environment ?? ''}:${s.state}`)).toEqual([
      'image::skipped',
      'deploy:staging:cancelled',
      'rollback:staging:succeeded',
    ]);
    expect(h.world.infra.imageAt(stagingTarget)?.tag).toBe('v1.0.0');
    const deployment = h.world.gitlab.deployments.find((d) => d.projectId === plan.project.id);
    expect(deployment?.status).toBe('canceled');
  });
});
