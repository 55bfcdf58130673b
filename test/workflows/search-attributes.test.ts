import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSearchAttributes } from '../../worker/search-attributes.js';
import { createHarness, seedEnvironments, start, testPlan, waitFor, type Harness } from '../support/harness.js';
import { inject } from 'vitest';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => h?.close());

describe('Temporal UI: search attributes, memo, summary', () => {
  it('registers the search attributes idempotently in a fresh namespace', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    const namespace = `ns-${randomUUID().slice(0, 8)}`;
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    await waitFor(async () => {
      try {
        return (await ensureSearchAttributes(connection, namespace)).length > 0 ? true : undefined;
      } catch {
        return undefined; // the namespace may take a moment to appear
      }
    });
    expect(await ensureSearchAttributes(connection, namespace)).toEqual([]);
    await connection.close();
  });

  it('a release can be found by service, status and commit, and carries memo and summary', async () => {
    const plan = testPlan();
    seedEnvironments(h.world, plan);
    h.world.registry.publish(plan.image);
    const { handle } = await start(h, plan);
    const query = `RunwayService = "${plan.service}" AND RunwayStatus = "awaiting_approval" AND RunwayEnvironment = "production"`;
    const found = await waitFor(async () => {
      for await (const wf of h.client.workflow.list({ query })) return wf;
      return undefined;
    });
    expect(found.workflowId).toBe(plan.releaseId);
    const byCommit = await waitFor(async () => {
      for await (const wf of h.client.workflow.list({
        query: `RunwayCommit = "${plan.commit.sha}" AND RunwayMergeRequest = 42`,
      }))
        return wf;
      return undefined;
    });
    expect(byCommit.workflowId).toBe(plan.releaseId);
    const description = await handle.describe();
    expect(description.memo).toMatchObject({ mrTitle: 'Add a feature', mrUrl: plan.mergeRequest!.url });
    expect(await description.staticSummary()).toContain(plan.service);
    await handle.terminate('test done');
  });
});
