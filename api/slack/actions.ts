// The Approve / Reject buttons of a release message. Who may press them is checked against runway.yaml (Slack user
// ids only) and again by the workflow's validator; a refusal changes nothing and only the presser hears about it.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import {
  APPROVE_ACTION_ID,
  REJECT_ACTION_ID,
  escapeMrkdwn,
  parseApprovalButtonValue,
  mention,
  replaceApprovalActions,
} from '../../integrations/slack-blocks.js';
import { releaseIdService } from '../../domain/ids.js';
import { decisionRefusal } from '../permissions.js';
import { AlreadyEndedError, DecisionRefusedError, NotFoundError } from '../release-service.js';
import { errFields, type SlackDeps } from './deps.js';
import { slackDate } from './format.js';

type Decision = 'approve' | 'reject';

/** Where the pressed message lives: the container for message buttons, else the channel and message. */
function messageLocation(body: BlockAction<ButtonAction>): { channel?: string; ts?: string } {
  const container = body.container as { channel_id?: unknown; message_ts?: unknown };
  const channel = typeof container.channel_id === 'string' ? container.channel_id : body.channel?.id;
  const ts = typeof container.message_ts === 'string' ? container.message_ts : body.message?.ts;
  return { channel, ts };
}

function decisionLine(decision: Decision, user: string, at: string): string {
  const verb = decision === 'approve' ? '✅ Approved' : '❌ Rejected';
  return `${verb} by ${mention(user)} at ${slackDate(at)}`;
}

export async function handleDecision(
  deps: SlackDeps,
  decision: Decision,
  body: BlockAction<ButtonAction>,
): Promise<void> {
  const { releases, slack, logger } = deps;
  const user = body.user.id;
  const { channel, ts } = messageLocation(body);
  const tell = async (text: string) => {
    if (!channel) return logger.warn({ user }, 'slack button press without a channel; reply dropped');
    await slack.postEphemeral(channel, user, text).catch((err: unknown) => {
      logger.warn({ err: errFields(err), channel, user }, 'slack ephemeral reply failed');
    });
  };

  const target = parseApprovalButtonValue(body.actions[0]?.value ?? '');
  if (!target) return tell('This button is not one of Runway’s approval buttons.');

  // Only the user id identifies the presser: usernames and display names can be changed to look like anyone's.
  const service = releaseIdService(target.releaseId);
  const refusal = service
    ? decisionRefusal(deps.config, service, target.environment, user)
    : 'this button names no Runway release';
  if (refusal) {
    logger.info({ user, releaseId: target.releaseId, reason: refusal }, 'slack decision refused');
    return tell(`Not allowed: ${escapeMrkdwn(refusal)}`);
  }

  let at: string;
  try {
    const result = await releases.decide(target.releaseId, decision, {
      environment: target.environment,
      approver: user,
    });
    // Temporal holds the decision; the release's worker is busy. The release updates this message itself once it
    // has recorded it, and pressing again attaches to the same decision.
    if ('pending' in result) {
      return tell(
        `Your ${decision === 'approve' ? 'approval' : 'rejection'} was handed to the release; Runway is busy and the message updates once it is recorded.`,
      );
    }
    at = result.at;
  } catch (err) {
    if (err instanceof DecisionRefusedError) return tell(`Not allowed: ${escapeMrkdwn(err.message)}`);
    if (err instanceof AlreadyEndedError) return tell(`Too late: ${escapeMrkdwn(err.message)}.`);
    if (err instanceof NotFoundError) return tell(`${escapeMrkdwn(err.message)}: it may have been cleaned up.`);
    logger.error({ err: errFields(err), releaseId: target.releaseId }, 'slack decision failed');
    return tell('Runway could not record your decision; please try again.');
  }

  const line = decisionLine(decision, user, at);
  // What Slack shows now, any kinds of blocks: only the approval actions block is swapped.
  const blocks = body.message?.blocks as KnownBlock[] | undefined;
  // Without the message (e.g. an ephemeral container) there is nothing to edit; the presser still gets a receipt.
  if (!channel || !ts || !Array.isArray(blocks)) return tell(line);
  const text = typeof body.message?.text === 'string' && body.message.text ? body.message.text : line;
  await slack.updateMessage(channel, ts, replaceApprovalActions(blocks, line), text).catch(async (err: unknown) => {
    logger.warn({ err: errFields(err), channel, ts }, 'approval message could not be updated');
    await tell(line);
  });
}

export function registerApprovalActions(app: App, deps: SlackDeps): void {
  for (const [actionId, decision] of [
    [APPROVE_ACTION_ID, 'approve'],
    [REJECT_ACTION_ID, 'reject'],
  ] as const) {
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: actionId }, async ({ ack, body }) => {
      await ack();
      await handleDecision(deps, decision, body);
    });
  }
}
