// Records workflow histories for the replay tests (test/histories/*.json). Run after a deliberate,
// versioned workflow change: `npm run histories:record`. Starts its own dev server. It overwrites the unsuffixed
// files: keep the previous ones first under the next suffix (`git mv x.json x-v5.json`), open runs may replay them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createMemoryWorld } from '../fakes/memory-world.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';
import { environmentLockId } from '../domain/ids.js';
import { startRelease } from '../api/releases.js';
import { createRunwayWorker } from '../worker/create-worker.js';
import { approveUpdate, statusQuery } from '../workflows/messages.js';
import { seedEnvironments, testPlan } from '../test/support/plans.js';
import { temporalExecutable } from '../test/support/temporal-cli.js';
import { createServer } from 'node:http';
import { freezeRegistryId, freezeSignal, unfreezeSignal } from '../workflows/freeze-messages.js';

const outDir = fileURLToPath(new URL('../test/histories/', import.meta.url));

Runtime.install({ logger: new DefaultLogger('ERROR') });
const executable = temporalExecutable();
if (executable.type !== 'existing-path')
  throw new Error('recording histories needs the temporal CLI (scripts/ensure-temporal.sh)');
const env = await TestWorkflowEnvironment.createLocal({
  server: { executable, searchAttributes: [...RUNWAY_SEARCH_ATTRIBUTES] },
});
const world = createMemoryWorld({ progressMs: 30 });
const taskQueue = 'record-histories';
const worker = await createRunwayWorker({
  connection: env.nativeConnection,
  namespace: 'default',
  taskQueue,
  deps: { ...world.ports, temporal: env.client, taskQueue },
});

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 50));
}

await worker.runUntil(async () => {
  const save = async (name: string, workflowId: string) => {
    // The CLI writes the canonical proto-JSON form that Worker.runReplayHistory reads.
    const json = execFileSync(
      executable.path,
      ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', env.address],
      { encoding: 'utf8' },
    );
    mkdirSync(outDir, { recursive: true });
    writeFileSync(`${outDir}${name}.json`, json);
    console.log(`recorded ${name} (${(JSON.parse(json) as { events: unknown[] }).events.length} events)`);
  };

  // 1. happy path with an approval
  const happy = testPlan({ service: 'payments', sha: 'a'.repeat(40) });
  seedEnvironments(world, happy);
  world.registry.publish(happy.image);
  const h1 = (await startRelease(env.client, happy, { taskQueue })).handle;
  await until(async () => (await h1.query(statusQuery)).status === 'awaiting_approval');
  await h1.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'U_ALICE' }] });
  await h1.result();
  await save('release-succeeded', happy.releaseId);

  // 2. staging unhealthy → rollback, with a waited-for pipeline
  const bad = testPlan({ service: 'checkout', sha: 'b'.repeat(40) });
  bad.image.tag = 'build-bad';
  seedEnvironments(world, bad);
  world.gitlab.setPipeline(bad.commit.sha, { id: 5, status: 'success' });
  world.registry.publish(bad.image);
  const h2 = (await startRelease(env.client, bad, { taskQueue })).handle;
  await h2.result().catch(() => undefined);
  await save('release-rolled-back', bad.releaseId);

  // 3. a rollback of staging to the image before (its own workflow type)
  const rollback = { ...happy, releaseId: 'rollback/payments/staging/1', image: { ...happy.image, tag: 'v1.0.0' } };
  rollback.environments = [{ ...happy.environments[0]!, approval: undefined }];
  rollback.mergeRequest = undefined;
  world.registry.publish(rollback.image);
  await env.client.workflow.execute('rollbackWorkflow', {
    workflowId: rollback.releaseId,
    taskQueue,
    args: [rollback],
  });
  await save('rollback-succeeded', rollback.releaseId);

  // 4. an older commit arriving after a newer one deployed: superseded at the environment lock
  const newer = testPlan({ service: 'orders', sha: 'c'.repeat(40) });
  const older = testPlan({ service: 'orders', sha: 'd'.repeat(40) });
  for (const p of [newer, older]) p.environments = p.environments.slice(0, 1);
  world.gitlab.commit(newer.project.id, older.commit.sha);
  world.gitlab.commit(newer.project.id, newer.commit.sha);
  seedEnvironments(world, newer);
  for (const p of [newer, older]) world.registry.publish(p.image);
  await (await startRelease(env.client, newer, { taskQueue })).handle.result();
  await (await startRelease(env.client, older, { taskQueue })).handle.result();
  await save('release-superseded', older.releaseId);

  // 5. an environment lock (still running). The per-service lock workflow (serviceLockWorkflow) is no longer
  // started by new releases: its saved histories (service-lock*.json) stay as they are.
  await save('environment-lock', environmentLockId('payments', 'staging'));

  // 6. a verified release: queued behind a runtime freeze of staging, then release notes, verify (an HTTP
  //    check), soak, approval, production. Recorded with the freeze registry it waited on.
  const smoke = createServer((_req, res) => res.writeHead(200).end('ok'));
  await new Promise<void>((resolve) => smoke.listen(0, '127.0.0.1', resolve));
  const smokeUrl = `http://127.0.0.1:${(smoke.address() as { port: number }).port}/healthz`;
  const verified = testPlan({ service: 'ledger', sha: 'c'.repeat(40) });
  verified.timing = { ...verified.timing!, windowRecheckMs: 100 };
  verified.environments[0] = {
    ...verified.environments[0]!,
    verify: {
      durationMs: 600,
      intervalMs: 200,
      failureLimit: 0,
      inconclusive: 'fail',
      checks: [{ name: 'smoke', http: { url: smokeUrl, expectStatus: 200 } }],
    },
    soakMs: 300,
  };
  seedEnvironments(world, verified);
  world.registry.publish(verified.image);
  const registry = freezeRegistryId(taskQueue);
  await env.client.workflow.signalWithStart('freezeRegistryWorkflow', {
    workflowId: registry,
    taskQueue,
    args: [{ freezes: [] }],
    signal: freezeSignal,
    signalArgs: [{ environment: 'staging', reason: 'recording', by: 'U_ALICE', at: new Date().toISOString() }],
  });
  const h5 = (await startRelease(env.client, verified, { taskQueue })).handle;
  await until(async () => (await h5.query(statusQuery)).status === 'queued');
  await env.client.workflow.getHandle(registry).signal(unfreezeSignal, { environment: 'staging', by: 'U_ALICE' });
  await until(async () => (await h5.query(statusQuery)).status === 'awaiting_approval');
  await h5.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'U_ALICE' }] });
  await h5.result();
  smoke.close();
  await save('release-verified', verified.releaseId);
  await save('freeze-registry', registry);

  // 6. a manual rollback whose health check fails: rollback_failed, never re-bumps (rollback-never-reverts)
  const failing = {
    ...rollback,
    releaseId: 'rollback/payments/staging/v0-bad',
    image: { ...happy.image, tag: 'v0-bad' },
  };
  world.registry.publish(failing.image);
  await env.client.workflow
    .execute('rollbackWorkflow', { workflowId: failing.releaseId, taskQueue, args: [failing] })
    .catch(() => undefined);
  await save('rollback-failed', failing.releaseId);

  // 7. approval expires; the approval message (its own channel) is closed with the reason (approval-message-closed)
  const expiring = testPlan({ service: 'billing', sha: 'd'.repeat(40) });
  expiring.environments[1] = {
    ...expiring.environments[1]!,
    approval: { ...expiring.environments[1]!.approval!, timeoutMs: 500 },
  };
  seedEnvironments(world, expiring);
  world.registry.publish(expiring.image);
  const hExpired = (await startRelease(env.client, expiring, { taskQueue })).handle;
  await hExpired.result();
  await save('release-expired', expiring.releaseId);
});
await env.teardown();
