// Small mrkdwn helpers shared by the button and slash-command replies.
import { escapeMrkdwn } from '../../integrations/slack-blocks.js';

/** A date Slack renders in each reader's time zone, with the ISO text as fallback. */
export function slackDate(iso: string | undefined): string {
  const ms = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(ms)) return iso ? escapeMrkdwn(iso) : 'unknown time';
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
}

/** Inline code for text that came from users or config, so it can neither format nor mention. */
export function code(text: string): string {
  return `\`${escapeMrkdwn(text.replace(/`/g, "'"))}\``;
}

export function shortSha(sha: string | undefined): string {
  return sha ? sha.slice(0, 8) : '????????';
}
