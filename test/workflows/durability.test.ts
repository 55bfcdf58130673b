// The worker PROCESS is SIGKILLed mid-release (no shutdown: in-flight activities and workflow tasks die with
// it); a new process picks the release up and finishes it, with exactly one bump per environment, one GitLab
// deployment per environment, one MR note and one Slack message per channel. The world (fakes, git repo,
// registry) lives in this test process, so it survives the kills.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRelease } from '../../api/releases.js';
import { DEFAULT_FAKE_SLACK_TOKEN } from '../../fakes/slack.js';
import { FAKE_GITLAB_TOKEN } from '../../fakes/gitlab.js';
import { approveUpdate, statusQuery } from '../../workflows/messages.js';
import { startWorkerProcess, type WorkerHandle } from '../../chaos/workers.js';
import { waitFor } from '../support/harness.js';
import {
  APPROVALS_CHANNEL,
  RELEASES_CHANNEL,
  createIntegrationWorld,
  type IntegrationWorld,
  worldAddress,
} from '../support/integration-world.js';
import { detailsOf } from '../support/stages.js';

const SERVICE = `durable-${randomUUID().slice(0, 6)}`;
let world: IntegrationWorld;
let client: Client;
let connection: Connection;
const dir = mkdtempSync(path.join(tmpdir(), 'runway-durability-'));
const workers: WorkerHandle[] = [];

beforeAll(async () => {
  // Rollouts that take seconds, so a kill lands inside the health wait.
  world = await createIntegrationWorld({
    services: [SERVICE],
    argocdTiming: { pickupMs: 50, operationMs: 200, healthyAfterMs: 2_500 },
  });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.sigkill();
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

describe('durability', () => {
  it('survives SIGKILL of the worker process during the health wait and during the approval wait', async () => {
    const taskQueue = `durable-${randomUUID()}`;
    const bundlePath = path.join(dir, 'bundle.js');
    writeFileSync(bundlePath, inject('workflowBundleCode'));
    const base = world.plan(SERVICE);
    const plan = {
      ...base,
      environments: base.environments.map((e) => ({ ...e, healthTimeoutMs: 90_000 })),
      notify: { channel: RELEASES_CHANNEL.id },
    };
    await world.pushImage(SERVICE, plan.image.tag);

    let worker = spawn(taskQueue, bundlePath, 1);
    await worker.ready;
    const { handle } = await startRelease(client, plan, { taskQueue });
    await waitFor(async () => {
      const t = await handle.query(statusQuery).catch(() => undefined);
      return t?.stage === 'deploy:staging' && detailsOf(t.stages.at(-1), 'deploy')?.infraCommit !== undefined;
    }, 60_000);
    await worker.sigkill(); // killed while waiting for health
    expect((await handle.describe()).status.name).toBe('RUNNING');

    worker = spawn(taskQueue, bundlePath, 2);
    await waitFor(async () => (await handle.query(statusQuery)).status === 'awaiting_approval', 60_000);
    await worker.sigkill(); // killed while waiting for approval

    worker = spawn(taskQueue, bundlePath, 3);
    await worker.ready;
    await handle.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'U0ALICE' }] });
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(workers.some((w) => w.crashed())).toBe(false);

    // Exactly once, though two processes died mid-flight.
    const log = await world.infra.log();
    const bumps = log.filter((c) => c.trailers['Runway-Change']?.startsWith(plan.releaseId));
    expect(bumps.map((c) => c.trailers['Runway-Change']!.split('/').at(-2))).toEqual(['staging', 'production']);
    const deployments = world.gitlab.deployments(plan.project.id).filter((d) => d.sha === plan.commit.sha);
    expect(deployments.map((d) => [d.environment, d.status])).toEqual([
      ['staging', 'success'],
      ['production', 'success'],
    ]);
    const notes = world.gitlab.notes(plan.project.id, plan.mergeRequest!.iid);
    expect(notes.filter((n) => n.body.includes(plan.releaseId))).toHaveLength(1);
    const ours = (channel: string) =>
      world.slack.messages(channel).filter((m) => m.metadata?.event_payload.release_id === plan.releaseId);
    expect(ours(RELEASES_CHANNEL.id)).toHaveLength(1);
    expect(ours(APPROVALS_CHANNEL.id)).toHaveLength(1);
    const replies = world.slack.thread(RELEASES_CHANNEL.id, ours(RELEASES_CHANNEL.id)[0]!.ts);
    const events = replies.map((r) => String(r.metadata?.event_payload.event));
    expect(new Set(events).size).toBe(events.length);
    // Nothing secret reached the workers' logs.
    const logs = readFileSync(path.join(dir, 'workers.log'), 'utf8');
    for (const secret of [FAKE_GITLAB_TOKEN, DEFAULT_FAKE_SLACK_TOKEN, world.argocd.token]) {
      expect(logs).not.toContain(secret);
    }
  }, 240_000);
});
