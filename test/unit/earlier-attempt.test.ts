// When the Slack notifier must look for an earlier attempt's post (and spend a Tier 3 read): on an activity
// retry, and for a local activity whose workflow task is a retry (a worker lost mid-task); never on a first try.
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { earlierAttemptMayHaveWritten } from '../../activities/earlier-attempt.js';

const execution = { workflowId: 'release/payments/abc', runId: 'run-1' };

/** A client whose describe() reports the pending workflow task's attempt (or fails). */
function temporalWith(taskAttempt: number | Error): { client: Client; described: string[] } {
  const described: string[] = [];
  const client = {
    workflow: {
      getHandle: (workflowId: string, runId?: string) => ({
        describe: async () => {
          described.push(`${workflowId}/${runId}`);
          if (taskAttempt instanceof Error) throw taskAttempt;
          return { raw: { pendingWorkflowTask: { attempt: taskAttempt } } };
        },
      }),
    },
  } as unknown as Client;
  return { client, described };
}

const run = (info: { attempt: number; isLocal: boolean }, client: Client) =>
  new MockActivityEnvironment({ ...info, workflowExecution: execution }).run(() =>
    earlierAttemptMayHaveWritten(client),
  );

describe('earlierAttemptMayHaveWritten', () => {
  it('an activity on its first attempt: no, without asking Temporal', async () => {
    const t = temporalWith(5);
    expect(await run({ attempt: 1, isLocal: false }, t.client)).toBe(false);
    expect(t.described).toEqual([]);
  });

  it('an activity retry: yes', async () => {
    expect(await run({ attempt: 2, isLocal: false }, temporalWith(1).client)).toBe(true);
  });

  it('a local activity: asks for its workflow task attempt (a retried task may have run it already)', async () => {
    const first = temporalWith(1);
    expect(await run({ attempt: 1, isLocal: true }, first.client)).toBe(false);
    expect(first.described).toEqual(['release/payments/abc/run-1']);
    expect(await run({ attempt: 1, isLocal: true }, temporalWith(2).client)).toBe(true);
  });

  it('cannot tell (Temporal unreachable, or outside an activity): assumes an earlier attempt may have posted', async () => {
    expect(await run({ attempt: 1, isLocal: true }, temporalWith(new Error('unavailable')).client)).toBe(true);
    expect(await earlierAttemptMayHaveWritten(temporalWith(1).client)).toBe(true);
  });
});
