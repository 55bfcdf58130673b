// The worker dies mid-release; a new worker picks the release up and finishes it, with exactly one
// bump per environment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveUpdate, statusQuery } from '../../workflows/messages.js';
import { createHarness, seedEnvironments, start, testPlan, waitFor, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.close());

describe('durability', () => {
  // When the worker is stopped just as it receives an activity task, that task is lost with it; only a timeout
  // tells the server. Every remote activity therefore has a heartbeat timeout (activities heartbeat
  // automatically), so the retry comes after seconds, not after the activity's start-to-close timeout. If the
  // release still stalls, the catch below logs its timeline, pending tasks and last history events.
  it('survives worker restarts during the health wait and during the approval wait', async () => {
    // A generous health timeout: a slow restart on a loaded machine must not turn into a health timeout.
    const base = testPlan();
    const plan = { ...base, environments: base.environments.map((e) => ({ ...e, healthTimeoutMs: 90_000 })) };
    seedEnvironments(h.world, plan);
    h.world.registry.publish(plan.image);
    h.world.argocd.setProgressMs(2_500);

    let worker = await h.startWorker();
    const { handle } = await start(h, plan);
    await waitFor(async () => {
      const t = await handle.query(statusQuery);
      return t.stage === 'deploy:staging' && t.stages.at(-1)?.details.infraCommit !== undefined;
    });
    await worker.stop(); // killed while waiting for health
    const deadWhile = (await handle.describe()).status.name;
    expect(deadWhile).toBe('RUNNING');

    worker = await h.startWorker();
    await waitFor(async () => (await handle.query(statusQuery)).status === 'awaiting_approval', 30_000).catch(
      async (e: unknown) => {
        const d = await handle.describe();
        console.log('DEBUG', JSON.stringify(await handle.query(statusQuery)).slice(0, 2500));
        console.log('PENDING', JSON.stringify(d.raw.pendingActivities), JSON.stringify(d.raw.pendingWorkflowTask));
        const hist = await handle.fetchHistory();
        console.log(
          'EVENTS',
          hist.events
            ?.slice(-25)
            .map((x) => `${String(x.eventId)}:${String(x.eventType)}`)
            .join(','),
        );
        throw e;
      },
    );
    await worker.stop(); // killed while waiting for approval
    h.world.argocd.setProgressMs(30);

    worker = await h.startWorker();
    await handle.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'U_ALICE' }] });
    const result = await handle.result();
    expect(result.status).toBe('succeeded');

    const commits = h.world.infra.commits.filter((c) => c.changeId.startsWith(plan.releaseId));
    expect(commits.map((c) => c.changeId.split('/').at(-2))).toEqual(['staging', 'production']);
    expect(h.world.gitlab.deployments.filter((d) => d.projectId === plan.project.id)).toHaveLength(2);
    await worker.stop();
  });
});
