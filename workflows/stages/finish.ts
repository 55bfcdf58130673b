// Finish: the logs link, the final Slack message(s) and the merge request comment, whatever the ending.
import { isPatched } from '../patching.js';
import type { NotificationKind } from '../../domain/notification.js';
import { mergeRequestComment } from '../../domain/comment.js';
import { fillLogsTemplate } from '../../domain/links.js';
import { workflowNow } from '../clock.js';
import type { ReleaseContext } from './context.js';
import { tryStep } from './outcomes.js';

export async function finishStage(ctx: ReleaseContext): Promise<void> {
  const { plan, rec } = ctx;
  if (plan.logsUrlTemplate) {
    const failedEnv = rec.timeline.stages.find((s) => s.state === 'failed')?.environment;
    rec.link(
      'logs',
      fillLogsTemplate(plan.logsUrlTemplate, {
        service: plan.service,
        environment: failedEnv ?? plan.environments[0]?.name,
        from: ctx.startedAt,
        to: workflowNow().getTime(),
      }),
    );
  }
  const status = rec.timeline.status;
  const kind: NotificationKind =
    status === 'succeeded' || status === 'failed' || status === 'rolled_back' || status === 'rollback_failed'
      ? status
      : 'ended';
  await ctx.notify(kind);
  // The approval message may live in another channel than the release's: it must lose its buttons and say
  // why too. Histories recorded before this step replay without it.
  const notifyKey = plan.notify.channel ?? '';
  const elsewhere = Object.keys(ctx.messageRefs).filter((key) => key !== notifyKey && key !== '');
  if (elsewhere.length > 0 && isPatched('approval-message-closed')) {
    for (const channel of elsewhere) await ctx.notify(kind, { channel, updateOnly: true });
  }
  const mr = plan.mergeRequest;
  if (mr) {
    await tryStep(rec, 'merge request comment', () =>
      ctx.acts.commentOnMergeRequest({
        projectId: plan.project.id,
        mrIid: mr.iid,
        releaseId: plan.releaseId,
        body: mergeRequestComment(plan, rec.timeline),
      }),
    );
  }
}
