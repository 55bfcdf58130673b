// The startup guard of retired patches against the real dev server: open runs that started before a retired patch
// shipped make the worker refuse to start (naming them, the patches and the fixes) unless the override is set, and
// `runway check` reports them. A run's StartTime cannot be back-dated, so the "old" runs here are runs started now
// on a task queue no worker polls (they stay open) and the cutoff is moved past them; the registry's own cutoff
// (2026-11-22) finds none of them.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { ConfigError, parseConfig } from '../../config/load.js';
import { checkTemporal } from '../../platform/check/temporal.js';
import { ALLOW_RETIRED_PATCH_RUNS_ENV, findRetiredPatchRuns } from '../../platform/retired-patch-runs.js';
import { assertNoRetiredPatchRuns } from '../../worker/retired-patch-guard.js';
import { bootWorker } from '../../worker/boot.js';

const taskQueue = `retired-guard-${randomUUID()}`;
const future = () => new Date(Date.now() + 3_600_000);
const ids = Array.from({ length: 6 }, (_, i) => `release/old-${i}/${taskQueue}`);
let connection: Connection;
let client: Client;

function quietLog() {
  const warn = vi.fn();
  return { log: { warn } as unknown as Logger, warn };
}

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  for (const workflowId of ids) await client.workflow.start('releaseWorkflow', { workflowId, taskQueue, args: [{}] });
  // Visibility is eventually consistent: wait (bounded) until all are listed.
  const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`;
  for (let i = 0; i < 100 && (await client.workflow.count(query)).count < ids.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  for (const workflowId of ids) await client.workflow.getHandle(workflowId).terminate('test over');
  await connection.close();
});

describe('retired patch guard', () => {
  it('finds no run older than the registry cutoff (every run here started today)', async () => {
    expect(await findRetiredPatchRuns(client, { taskQueue })).toEqual([]);
  });

  it('finds open runs started before the cutoff, on this task queue only', async () => {
    const [found, ...rest] = await findRetiredPatchRuns(client, { taskQueue, cutoff: future });
    expect(rest).toEqual([]);
    expect(found).toMatchObject({
      patches: ['status-before-decided-notification', 'local-activities'],
      retired: '2026-12-07',
      count: 6,
    });
    expect(found!.workflowIds).toHaveLength(5);
    for (const id of found!.workflowIds) expect(ids).toContain(id);
    expect(found!.query).toContain('WorkflowType IN ("releaseWorkflow", "rollbackWorkflow")');
    expect(await findRetiredPatchRuns(client, { taskQueue: `${taskQueue}-other`, cutoff: future })).toEqual([]);
  });

  it('refuses to start with the runs, the patches and the fixes', async () => {
    const { log } = quietLog();
    const refusal = await assertNoRetiredPatchRuns(client, log, { taskQueue, cutoff: future, env: {} }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(ConfigError);
    const message = (refusal as ConfigError).message;
    expect(message).toMatch(
      /6 open run\(s\) took the old path of patches status-before-decided-notification, local-activities/,
    );
    expect(message).toContain('and 1 more');
    expect(ids.filter((id) => message.includes(id))).toHaveLength(5);
    expect(message).toContain('temporal workflow reset --workflow-id <id> --type FirstWorkflowTask');
    expect(message).toContain('temporal workflow terminate --workflow-id <id>');
    expect(message).toContain('previous Runway version');
    expect(message).toContain(`${ALLOW_RETIRED_PATCH_RUNS_ENV}=1`);
  });

  it('the worker process refuses to boot (before it bundles or polls)', async () => {
    vi.stubEnv('RUNWAY_TEMPORAL_METRICS_ADDRESS', 'off');
    const config = parseConfig(
      `temporal: { address: '${inject('temporalAddress')}', taskQueue: '${taskQueue}' }\nservices: {}\n`,
      {},
    );
    await expect(bootWorker(config, pino({ level: 'silent' }), {}, { cutoff: future })).rejects.toThrow(
      /open workflow runs need code this version no longer has[\s\S]*release\/old-/,
    );
    vi.unstubAllEnvs();
  });

  it('starts with the override, with a warning', async () => {
    const { log, warn } = quietLog();
    await assertNoRetiredPatchRuns(client, log, {
      taskQueue,
      cutoff: future,
      env: { [ALLOW_RETIRED_PATCH_RUNS_ENV]: '1' },
    });
    expect(warn).toHaveBeenCalledOnce();
    await assertNoRetiredPatchRuns(client, log, { taskQueue, env: {} }); // the registry cutoff: nothing to refuse
  });

  it('runway check reports them as one line with the fix', async () => {
    const config = parseConfig(
      `temporal: { address: '${inject('temporalAddress')}', taskQueue: '${taskQueue}' }\nservices: {}\n`,
      {},
    );
    const line = (await checkTemporal(config, { retiredPatchCutoff: future })).filter((r) =>
      r.check.includes('retired patch'),
    );
    expect(line).toEqual([
      expect.objectContaining({
        status: 'fail',
        detail: expect.stringContaining('6 open run(s)') as string,
        fix: expect.stringContaining('temporal workflow reset') as string,
      }),
    ]);
    const fine = (await checkTemporal(config)).filter((r) => r.check.includes('retired patch'));
    expect(fine).toEqual([{ area: 'temporal', check: 'no open run needs a retired patch path', status: 'ok' }]);
  });
});
