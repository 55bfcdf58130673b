// Soak: after an environment is verified, wait before the next one may start ("deploy to one, watch,
// then widen"). A durable timer; nothing to do for the last environment.
import { sleep } from '@temporalio/workflow';
import type { EnvironmentPlan } from '../../domain/types.js';
import { workflowNow } from '../clock.js';
import type { StageContext } from './context.js';

export async function soakStage(
  ctx: StageContext,
  environment: EnvironmentPlan,
  next?: EnvironmentPlan,
): Promise<void> {
  if (!environment.soakMs || !next) return;
  const until = new Date(workflowNow().getTime() + environment.soakMs).toISOString();
  const stage = ctx.rec.begin('soak', environment.name, {
    until,
    summary: `soaking in ${environment.name} until ${until} before ${next.name}`,
  });
  await ctx.notify('progress', { environment: environment.name });
  await sleep(environment.soakMs);
  ctx.rec.end(stage, 'succeeded');
}
