// `/runway promote <service> [env] [--full]`, `/runway abort <service> [env]` and the canary buttons of a release
// message. Who may is checked against runway.yaml by Slack user id (the environment's approvers, else its
// deployers) and again by the workflow's validator; the timeline records who pressed what.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { escapeMrkdwn } from '../../integrations/slack-blocks.js';
import {
  CANARY_ABORT_ACTION_ID,
  CANARY_PROMOTE_ACTION_ID,
  CANARY_PROMOTE_FULL_ACTION_ID,
  parseCanaryButtonValue,
} from '../../integrations/slack-canary-blocks.js';
import { releaseIdService } from '../../domain/ids.js';
import type { CanaryCommandAction } from '../../workflows/canary-messages.js';
import { canaryRefusal, type CanaryService } from '../canary-service.js';
import { AlreadyEndedError, DecisionRefusedError, NotFoundError } from '../release-service.js';
import { errFields, type SlackDeps } from './deps.js';
import { code } from './format.js';

export interface CanaryDeps extends SlackDeps {
  canary?: Pick<CanaryService, 'find' | 'command'>;
}

export const CANARY_HELP = [
  '• `promote <service> [environment] [--full]`: move the running canary to its next step (or all the way)',
  '• `abort <service> [environment]`: abort the running canary: all traffic back to stable, the bump reverted',
].join('\n');

const DONE: Record<CanaryCommandAction, string> = {
  promote: '⏭️ Promoted to the next step',
  'promote-full': '⏩ Promoted fully',
  abort: '🛑 Aborted',
};

async function give(
  deps: CanaryDeps,
  releaseId: string,
  environment: string,
  action: CanaryCommandAction,
  user: string,
): Promise<string> {
  const service = releaseIdService(releaseId) ?? '';
  const refusal = canaryRefusal(deps.config, service, environment, user);
  if (refusal) return `Not allowed: ${escapeMrkdwn(refusal)}.`;
  try {
    const result = await deps.canary!.command(releaseId, { environment, by: user, action });
    return `${DONE[action]}: ${code(service)} in ${code(environment)} at ${escapeMrkdwn(result.step)} (${code(releaseId)}).`;
  } catch (err) {
    if (err instanceof DecisionRefusedError) return `Not allowed: ${escapeMrkdwn(err.message)}`;
    if (err instanceof AlreadyEndedError) return `Too late: ${escapeMrkdwn(err.message)}.`;
    if (err instanceof NotFoundError) return escapeMrkdwn(err.message);
    throw err;
  }
}

/** `/runway promote …` and `/runway abort …`. */
export async function canaryCommand(
  deps: CanaryDeps,
  verb: 'promote' | 'abort',
  args: string[],
  user: { id: string },
): Promise<string> {
  const full = args.includes('--full');
  const [service, environment] = args.filter((a) => a !== '--full');
  if (!service)
    return `Which service? ${verb === 'promote' ? '`/runway promote <service> [environment] [--full]`' : '`/runway abort <service> [environment]`'}`;
  if (full && verb === 'abort') return '`--full` is for `promote` only.';
  if (!deps.canary) return 'Canary commands are not available here.';
  try {
    const found = await deps.canary.find(service, environment);
    const action: CanaryCommandAction = verb === 'abort' ? 'abort' : full ? 'promote-full' : 'promote';
    return await give(deps, found.releaseId, found.environment, action, user.id);
  } catch (err) {
    if (err instanceof NotFoundError) return escapeMrkdwn(err.message);
    throw err;
  }
}

/** The buttons: the presser alone hears the answer; the workflow updates the message itself. */
export function registerCanaryActions(app: App, deps: CanaryDeps): void {
  for (const [actionId, action] of [
    [CANARY_PROMOTE_ACTION_ID, 'promote'],
    [CANARY_PROMOTE_FULL_ACTION_ID, 'promote-full'],
    [CANARY_ABORT_ACTION_ID, 'abort'],
  ] as const) {
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: actionId }, async ({ ack, body }) => {
      await ack();
      const user = body.user.id;
      const channel = body.channel?.id;
      const target = parseCanaryButtonValue(body.actions[0]?.value ?? '');
      let text: string;
      try {
        text = target
          ? await give(deps, target.releaseId, target.environment, action, user)
          : 'This button is not one of Runway’s canary buttons.';
      } catch (err) {
        deps.logger.error({ err: errFields(err) }, 'slack canary command failed');
        text = 'Runway could not record that; please try again.';
      }
      if (!channel) return;
      await deps.slack.postEphemeral(channel, user, text).catch((err: unknown) => {
        deps.logger.warn({ err: errFields(err), channel, user }, 'slack ephemeral reply failed');
      });
    });
  }
}
