// Waits until Argo CD reports the application synced to exactly `revision` and Healthy.
// Heartbeats the last status seen, so a retry after a worker crash resumes with the same deadline
// and a timeout message says what the app looked like.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { describeStatus, evaluateHealth } from '../domain/health.js';
import { isPermanentErrorName } from '../domain/errors.js';
import type { AppStatus, ArgoCdPort } from './ports.js';

export interface HealthWaitInput {
  application: string;
  revision: string;
  timeoutMs: number;
  degradedGraceMs: number;
  pollIntervalMs: number;
}

interface HealthProgress {
  deadline: number;
  degradedSince?: number;
  last?: string;
}

export async function waitForHealth(argocd: ArgoCdPort, input: HealthWaitInput): Promise<{ status: string }> {
  const ctx = Context.current();
  const resumed = ctx.info.heartbeatDetails as HealthProgress | undefined;
  const progress: HealthProgress = resumed ?? { deadline: Date.now() + input.timeoutMs };
  let refresh: 'normal' | undefined = 'normal';

  for (;;) {
    let status: AppStatus | undefined;
    try {
      status = await argocd.getStatus(input.application, refresh ? { refresh } : undefined);
      refresh = undefined;
    } catch (err) {
      if (err instanceof Error && isPermanentErrorName(err.name)) throw err;
      progress.last = `status read failed: ${(err as Error).message}`;
    }
    if (status) {
      const now = Date.now();
      if (status.health === 'Degraded' && status.syncRevision === input.revision) progress.degradedSince ??= now;
      else progress.degradedSince = undefined;
      const verdict = evaluateHealth(status, {
        revision: input.revision,
        degradedForMs: progress.degradedSince ? now - progress.degradedSince : 0,
        degradedGraceMs: input.degradedGraceMs,
      });
      progress.last = describeStatus(status);
      if (verdict.state === 'healthy') return { status: progress.last };
      if (verdict.state === 'failed') {
        throw ApplicationFailure.create({
          type: 'HealthCheckFailed',
          nonRetryable: true,
          message: `${input.application}: ${verdict.reason}`,
          details: [progress.last],
        });
      }
    }
    ctx.heartbeat(progress);
    if (Date.now() >= progress.deadline) {
      throw ApplicationFailure.create({
        type: 'HealthTimeout',
        nonRetryable: true,
        message: `${input.application} not healthy on ${input.revision.slice(0, 12)} within ${input.timeoutMs} ms; last seen: ${progress.last ?? 'nothing'}`,
      });
    }
    await ctx.sleep(Math.min(input.pollIntervalMs, Math.max(progress.deadline - Date.now(), 1)));
  }
}
