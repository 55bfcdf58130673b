// The `/runway` slash command: answer in the ack when the work is quick, otherwise ack "working…" within Slack's
// 3 seconds and send the answer through the command's response_url (Bolt's respond()) when it is ready: unlike
// chat.postEphemeral it works in channels the bot is not in, and in DMs. Replies are only for the caller.
import type { App } from '@slack/bolt';
import { errFields, type SlackDeps } from './deps.js';
import { runSubcommand } from './subcommands.js';

export const RUNWAY_COMMAND = '/runway';
/** How long an answer may take and still go in the ack (the receiver answers empty at 2.5 s). */
export const DEFAULT_ACK_WINDOW_MS = 1_500;

export interface CommandOptions {
  ackWindowMs?: number;
}

const FAILED = 'Something went wrong in Runway; the details are in its logs.';

export function registerRunwayCommand(app: App, deps: SlackDeps, options: CommandOptions = {}): void {
  const windowMs = options.ackWindowMs ?? DEFAULT_ACK_WINDOW_MS;
  app.command(RUNWAY_COMMAND, async ({ ack, command, respond }) => {
    const user = { id: command.user_id, name: command.user_name || undefined };
    const work = runSubcommand(deps, command.text ?? '', user).catch((err: unknown) => {
      deps.logger.error({ err: errFields(err), text: command.text }, 'slack command failed');
      return FAILED;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), windowMs)));
    const quick = await Promise.race([work, late]);
    clearTimeout(timer);
    if (quick !== undefined) return ack({ response_type: 'ephemeral', text: quick });

    await ack({ response_type: 'ephemeral', text: 'working…' });
    const text = await work;
    await respond({ response_type: 'ephemeral', text }).catch((err: unknown) => {
      deps.logger.warn({ err: errFields(err), channel: command.channel_id }, 'slash command answer could not be sent');
    });
  });
}
