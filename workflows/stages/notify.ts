// Notifications: one Slack message per channel, updated as the release moves on.
import type { NotificationKind } from '../../domain/notification.js';
import type { NotifyOptions, ReleaseContext } from './context.js';
import { tryStep } from './outcomes.js';

/** Notifications never fail a release: a failure becomes a warning in the timeline. */
export async function sendNotification(
  ctx: ReleaseContext,
  kind: NotificationKind,
  options: NotifyOptions = {},
): Promise<void> {
  const channel = options.channel ?? ctx.plan.notify.channel;
  const key = channel ?? '';
  await tryStep(ctx.rec, `notification "${kind}"`, async () => {
    const { messageRef } = await ctx.acts.notify({
      kind,
      channel,
      environment: options.environment,
      approvers: options.approvers,
      ...(options.detail ? { detail: options.detail } : {}),
      ...(options.updateOnly ? { updateOnly: true } : {}),
      timeline: ctx.rec.timeline,
      messageRef: ctx.messageRefs[key],
    });
    if (messageRef) ctx.messageRefs[key] = messageRef;
  });
}
