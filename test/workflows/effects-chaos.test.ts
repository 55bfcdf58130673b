// The short chaos variant that runs in the suite: whole releases through the real clients while the GitLab and
// Slack fakes fail 30 % of requests (502/503/429 with Retry-After), a third of them after the write. Every
// release must end right, with no duplicated deployment, note, message or reply (npm run chaos adds worker and
// Temporal kills and hostile requests; docs/reliability.md).
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRelease } from '../../api/releases.js';
import { countDuplicates } from '../../chaos/count.js';
import { createRunwayWorker } from '../../worker/create-worker.js';
import { approveUpdate, statusQuery } from '../../workflows/messages.js';
import { waitFor } from '../support/harness.js';
import {
  APPROVALS_CHANNEL,
  MERGE_REQUEST_IID,
  RELEASES_CHANNEL,
  createIntegrationWorld,
  type IntegrationWorld,
} from '../support/integration-world.js';

const SERVICE = `flaky-${randomUUID().slice(0, 6)}`;
let world: IntegrationWorld;
let connection: Connection;
let native: NativeConnection;

beforeAll(async () => {
  if (!Runtime.instantiator) Runtime.install({ logger: new DefaultLogger('ERROR') });
  world = await createIntegrationWorld({ services: [SERVICE], badTagMarker: 'broken' });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  native = await NativeConnection.connect({ address: inject('temporalAddress') });
}, 120_000);

afterAll(async () => {
  await native?.close();
  await connection?.close();
  await world?.close();
});

/** A fixed sequence, so a failure can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('exactly-once effects under 30 % upstream faults', () => {
  it('releases end right with no duplicated deployment, note, message or reply', async () => {
    const client = new Client({ connection });
    const taskQueue = `flaky-${randomUUID()}`;
    const worker = await createRunwayWorker({
      connection: native,
      namespace: 'default',
      taskQueue,
      deps: world.deps(client, taskQueue),
      workflowBundle: { code: inject('workflowBundleCode') },
      overrides: { shutdownGraceTime: '1s' },
    });
    const rng = seeded(20261130);
    for (const http of [world.gitlab.http, world.slack.http]) {
      http.randomFaults({
        rate: 0.3,
        afterShare: 1 / 3,
        path: /^\/api\//,
        retryAfterSeconds: 1,
        rateLimitBody: http === world.slack.http ? { ok: false, error: 'ratelimited' } : 'Retry later\n',
        errorBody: { message: '502 Bad Gateway' },
        rng,
      });
    }
    const statuses: string[] = [];
    await worker.runUntil(async () => {
      for (const broken of [false, true, false]) {
        const base = world.plan(SERVICE);
        const tag = broken ? `${base.commit.sha.slice(0, 12)}-broken` : base.image.tag;
        const plan = {
          ...base,
          image: { ...base.image, tag },
          environments: base.environments.map((e) => ({ ...e, healthTimeoutMs: 60_000 })),
          timing: { heartbeatTimeoutMs: 3_000, pollIntervalMs: 50, retryInitialIntervalMs: 100 },
        };
        await world.pushImage(SERVICE, tag);
        const { handle } = await startRelease(client, plan, { taskQueue });
        if (!broken) {
          await waitFor(async () => (await handle.query(statusQuery)).status === 'awaiting_approval', 60_000);
          await handle.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'U0ALICE' }] });
        }
        await handle.result().catch(() => undefined);
        const timeline = await handle.query(statusQuery);
        statuses.push(timeline.status);
        expect(timeline.warnings).toEqual([]); // no step gave up
      }
    });
    world.gitlab.http.clearFaults();
    world.slack.http.clearFaults();

    expect(statuses).toEqual(['succeeded', 'rolled_back', 'succeeded']);
    // The faults did hit writes whose replies were lost: the test is not vacuous.
    expect(world.gitlab.http.lostReplies.length + world.slack.http.lostReplies.length).toBeGreaterThan(0);
    const duplicates = countDuplicates({
      commits: await world.infra.log(),
      gitlab: world.gitlab,
      projects: [world.service(SERVICE).project],
      mergeRequestIid: MERGE_REQUEST_IID,
      slack: world.slack,
      channels: [RELEASES_CHANNEL.id, APPROVALS_CHANNEL.id],
    });
    expect(duplicates).toEqual({ commits: 0, deployments: 0, notes: 0, messages: 0, replies: 0 });
    // And every effect exists: one message per release in the releases channel, one note per release.
    const ours = world.slack.messages(RELEASES_CHANNEL.id).filter((m) => m.metadata);
    expect(ours).toHaveLength(3);
    expect(world.gitlab.notes(world.service(SERVICE).project, MERGE_REQUEST_IID)).toHaveLength(3);
  }, 240_000);
});
