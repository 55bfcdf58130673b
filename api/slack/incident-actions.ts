// The buttons of an incident message: "Roll back to <version>" starts the same rollback as `/runway rollback`
// and REST (ReleaseService.rollback: git revert of the image, sync, health), and "Silence 1 h" tells the watcher.
// Who may press them: the environment's deployers, else its approvers, by Slack user id (api/permissions.ts).
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import {
  INCIDENT_ROLLBACK_ACTION_ID,
  INCIDENT_SILENCE_ACTION_ID,
  parseIncidentButtonValue,
} from '../../integrations/incident-blocks.js';
import { escapeMrkdwn } from '../../integrations/slack-blocks.js';
import { changeRefusal } from '../permissions.js';
import { ConflictError, InvalidRequestError, NotFoundError } from '../release-service.js';
import { errFields, type SlackDeps } from './deps.js';
import type { IncidentCommandDeps } from './incident-commands.js';
import { code, slackDate } from './format.js';

export type IncidentAction = 'rollback' | 'silence';

/** What pressing the button did, as the presser's (ephemeral) reply. */
export async function handleIncidentAction(
  deps: SlackDeps & IncidentCommandDeps,
  action: IncidentAction,
  body: BlockAction<ButtonAction>,
): Promise<string> {
  const user = body.user.id;
  const target = parseIncidentButtonValue(body.actions[0]?.value ?? '');
  if (!target) return 'This button is not one of Runway’s incident buttons.';
  const { service, environment } = target;
  const refusal = changeRefusal(deps.config, service, environment, user, 'slack');
  if (refusal) {
    deps.logger.info({ user, incident: target.incidentId, reason: refusal }, 'incident button refused');
    return `Not allowed: ${escapeMrkdwn(refusal)}`;
  }
  try {
    if (action === 'silence') {
      if (!deps.incidents) return 'Silencing is not available here.';
      const { until } = await deps.incidents.silence(service, environment, user, '1h');
      return `🔕 No new incident for ${code(service)} in ${code(environment)} until ${slackDate(until)}.`;
    }
    const { rollbackId, image, alreadyRunning } = await deps.releases.rollback(
      service,
      environment,
      user,
      target.tag ? { tag: target.tag } : {},
    );
    const verb = alreadyRunning ? 'Already rolling back' : 'Rolling back';
    return `↩️ ${verb} ${code(service)} in ${code(environment)} to ${code(image)} (${code(rollbackId)}).`;
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof ConflictError || err instanceof InvalidRequestError) {
      return escapeMrkdwn(err.message);
    }
    deps.logger.error({ err: errFields(err), incident: target.incidentId }, 'incident button failed');
    return 'Runway could not do that; please try again.';
  }
}

function channelOf(body: BlockAction<ButtonAction>): string | undefined {
  const container = body.container as { channel_id?: unknown };
  return typeof container.channel_id === 'string' ? container.channel_id : body.channel?.id;
}

export function registerIncidentActions(app: App, deps: SlackDeps & IncidentCommandDeps): void {
  for (const [actionId, action] of [
    [INCIDENT_ROLLBACK_ACTION_ID, 'rollback'],
    [INCIDENT_SILENCE_ACTION_ID, 'silence'],
  ] as const) {
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: actionId }, async ({ ack, body }) => {
      await ack();
      const reply = await handleIncidentAction(deps, action, body);
      const channel = channelOf(body);
      if (!channel) return;
      await deps.slack.postEphemeral(channel, body.user.id, reply).catch((err: unknown) => {
        deps.logger.warn({ err: errFields(err), channel }, 'slack ephemeral reply failed');
      });
    });
  }
}
