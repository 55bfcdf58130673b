// Two worker processes and two API processes (api/main.ts, as deployed) against one Temporal: merges arrive
// through both APIs (each also redelivered through the other), releases spread over both workers, one worker is
// SIGKILLed mid-release and the other finishes its releases, and every effect happens exactly once.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApiProcess, type ApiHandle } from '../../chaos/api-process.js';
import { freePort } from '../../platform/free-port.js';
import { worldConfigYaml } from '../../chaos/world-config.js';
import { startWorkerProcess, type WorkerHandle } from '../../chaos/workers.js';
import { statusQuery } from '../../workflows/messages.js';
import { mergeHook } from '../support/api-harness.js';
import { waitFor } from '../support/harness.js';
import {
  APPROVALS_CHANNEL,
  MERGE_REQUEST_IID,
  RELEASES_CHANNEL,
  createIntegrationWorld,
  type IntegrationWorld,
  worldAddress,
} from '../support/integration-world.js';

const SERVICES = Array.from({ length: 6 }, (_, i) => `multi${i}-${randomUUID().slice(0, 4)}`);
const WEBHOOK_SECRET = `multi-webhook-${randomUUID()}`;
const TOKENS = { reader: `r-${randomUUID()}`, deployer: `d-${randomUUID()}`, approver: `a-${randomUUID()}` };
const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(path.join(root, '.data-test-multi-'));
const taskQueue = `multi-${randomUUID().slice(0, 8)}`;

let world: IntegrationWorld;
let connection: Connection;
let client: Client;
const workers: WorkerHandle[] = [];
const apis: ApiHandle[] = [];

beforeAll(async () => {
  // Rollouts that take seconds, so the kill lands while releases wait for health.
  world = await createIntegrationWorld({
    services: SERVICES,
    argocdTiming: { pickupMs: 50, operationMs: 200, healthyAfterMs: 2_500 },
  });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  const bundlePath = path.join(dir, 'bundle.js');
  writeFileSync(bundlePath, inject('workflowBundleCode'));
  for (let n = 0; n < 2; n++) {
    const address = worldAddress(world, path.join(dir, `cache-${n}`));
    const logFile = path.join(dir, `worker-${n}.log`);
    workers.push(
      startWorkerProcess({ address: inject('temporalAddress'), taskQueue, bundlePath, world: address, logFile }),
    );
    const port = await freePort();
    const configPath = path.join(dir, `runway-${n}.yaml`);
    const yaml = worldConfigYaml(world, {
      taskQueue,
      temporalAddress: inject('temporalAddress'),
      webhookSecret: WEBHOOK_SECRET,
      tokens: TOKENS,
      port,
      reconcile: false,
      timing: '{ pollInterval: 200ms, heartbeatTimeout: 3s, retryInitialInterval: 200ms }',
    });
    writeFileSync(configPath, yaml);
    apis.push(startApiProcess({ configPath, port, logFile: path.join(dir, `api-${n}.log`) }));
  }
  await Promise.all([...workers.map((w) => w.ready), ...apis.map((a) => a.ready)]);
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.sigkill();
  for (const a of apis) await a.stop();
  await connection?.close();
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (api: ApiHandle, route: string, body: unknown, headers: Record<string, string>) =>
  fetch(`${api.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { releaseId?: string } }));

/** The worker identities (`pid@host`) that ran the release's workflow tasks, in order. */
async function taskRunners(releaseId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(releaseId).fetchHistory();
  return (history.events ?? []).flatMap((e) => e.workflowTaskStartedEventAttributes?.identity ?? []);
}

describe('two workers and two APIs against one Temporal', () => {
  it('spreads releases over both workers, duplicates nothing, and survives a SIGKILLed worker', async () => {
    const webhook = { 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': WEBHOOK_SECRET };
    const ids: string[] = [];
    for (const [i, service] of SERVICES.entries()) {
      const sha = randomBytes(20).toString('hex');
      await world.pushImage(service, sha);
      const hook = mergeHook(service, sha, { iid: MERGE_REQUEST_IID });
      const first = await post(apis[i % 2]!, '/webhooks/gitlab', hook, webhook);
      expect(first.status).toBe(202);
      // GitLab redelivers, here through the other API: the same release, not a second one.
      const again = await post(apis[(i + 1) % 2]!, '/webhooks/gitlab', hook, webhook);
      expect(again).toMatchObject({ status: 200, body: { releaseId: first.body.releaseId } });
      ids.push(first.body.releaseId!);
    }

    // Every release is waiting for its staging rollout: kill the worker that ran most of them.
    await waitFor(async () => {
      const stages = await Promise.all(ids.map((id) => client.workflow.getHandle(id).query(statusQuery)));
      return stages.every((t) => t.stage === 'deploy:staging' || t.status === 'awaiting_approval');
    }, 60_000);
    const before = await Promise.all(ids.map(taskRunners));
    const identities = [...new Set(before.flat())];
    const pids = workers.map((w) => w.child.pid!);
    const ran = (pid: number) => before.filter((runners) => runners.some((r) => r.startsWith(`${pid}@`))).length;
    expect(
      pids.every((pid) => ran(pid) > 0),
      `both workers ran releases: ${identities.join(', ')}`,
    ).toBe(true);
    const victim = ran(pids[0]!) >= ran(pids[1]!) ? 0 : 1;
    const survivor = pids[1 - victim]!;
    await workers[victim]!.sigkill();

    // Approve production through either API, as a person would; the survivor finishes everything.
    for (const [i, id] of ids.entries()) {
      const handle = client.workflow.getHandle(id);
      await waitFor(async () => (await handle.query(statusQuery)).status === 'awaiting_approval', 90_000);
      const approved = await post(
        apis[i % 2]!,
        `/api/releases/${encodeURIComponent(id)}/approve`,
        { environment: 'production' },
        { authorization: `Bearer ${TOKENS.approver}` },
      );
      // 202: accepted while a busy worker is still deciding (api/release-service.ts); the result says how it ended.
      expect([200, 202]).toContain(approved.status);
    }
    for (const id of ids) {
      const result = await client.workflow.getHandle(id).result();
      expect(result.status, id).toBe('succeeded');
    }
    expect(workers[1 - victim]!.crashed()).toBe(false);

    // The killed worker's releases were taken over: their last tasks ran on the survivor.
    const after = await Promise.all(ids.map(taskRunners));
    const takenOver = after.filter((runners, i) => before[i]!.some((r) => r.startsWith(`${pids[victim]}@`)));
    expect(takenOver.length).toBeGreaterThan(0);
    for (const runners of takenOver) expect(runners.at(-1)).toMatch(new RegExp(`^${survivor}@`));

    // Exactly once, per release: one bump and one GitLab deployment per environment, one MR note, one
    // Slack message per channel, no thread event twice.
    const log = await world.infra.log();
    for (const [i, id] of ids.entries()) {
      const service = world.service(SERVICES[i]!);
      const bumps = log.filter((c) => c.trailers['Runway-Change']?.startsWith(id));
      expect(
        bumps.map((c) => c.trailers['Runway-Change']!.split('/').at(-2)),
        id,
      ).toEqual(['staging', 'production']);
      const sha = id.split('/').at(-1)!;
      const deployments = world.gitlab.deployments(service.project).filter((d) => d.sha === sha);
      expect(deployments.map((d) => [d.environment, d.status])).toEqual([
        ['staging', 'success'],
        ['production', 'success'],
      ]);
      const notes = world.gitlab.notes(service.project, MERGE_REQUEST_IID).filter((n) => n.body.includes(id));
      expect(notes).toHaveLength(1);
      const ours = (channel: string) =>
        world.slack.messages(channel).filter((m) => m.metadata?.event_payload.release_id === id);
      expect(ours(RELEASES_CHANNEL.id)).toHaveLength(1);
      expect(ours(APPROVALS_CHANNEL.id)).toHaveLength(1);
      const events = world.slack
        .thread(RELEASES_CHANNEL.id, ours(RELEASES_CHANNEL.id)[0]!.ts)
        .map((r) => String(r.metadata?.event_payload.event));
      expect(new Set(events).size).toBe(events.length);
    }
  }, 300_000);
});
