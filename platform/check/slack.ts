// Slack: the bot token (auth.test), the bot in every channel Runway posts to (conversations.list/info,
// is_member), every approver id a real user (users.info). Through @slack/web-api, as Runway talks to Slack.
import { WebClient } from '@slack/web-api';
import type { RunwayConfig } from '../../config/schema.js';
import type { CheckResult } from './report.js';

const USER_ID = /^[UW][A-Z0-9]{2,}$/;

export async function checkSlack(config: RunwayConfig): Promise<CheckResult[]> {
  const area = 'slack';
  const slack = config.slack;
  // With services, a missing slack section is a config failure (runChecks reports what the worker refuses).
  if (!slack) {
    const none = Object.keys(config.services).length === 0;
    return none ? [{ area, check: 'configured', status: 'skip', detail: 'no services' }] : [];
  }
  const client = new WebClient(slack.botToken, {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
  const error = (err: unknown) => String((err as { data?: { error?: string } }).data?.error ?? (err as Error).message);
  const out: CheckResult[] = [];
  try {
    const auth = await client.auth.test();
    out.push({ area, check: 'bot token valid', status: 'ok', detail: `@${auth.user ?? '?'} in ${auth.team ?? '?'}` });
  } catch (err) {
    return [
      {
        area,
        check: 'bot token valid',
        status: 'fail',
        detail: error(err),
        fix: "use the Bot User OAuth Token (xoxb-…) from the Slack app's OAuth & Permissions page",
      },
    ];
  }

  const services = Object.values(config.services);
  const channels = new Set<string>(
    [
      ...(slack.defaultChannel ? [slack.defaultChannel] : []),
      ...services.flatMap((s) => [s.notify.channel, ...s.environments.map((e) => e.approval?.channel)]),
    ].filter((c): c is string => !!c),
  );
  let listed: { id?: string; name?: string; is_member?: boolean }[] | undefined;
  for (const channel of channels) {
    const check = `bot is in ${channel}`;
    try {
      let info: { id?: string; name?: string; is_member?: boolean } | undefined;
      if (/^[CGD][A-Z0-9]+$/.test(channel)) {
        info = (await client.conversations.info({ channel })).channel;
      } else {
        listed ??= await listChannels(client);
        info = listed.find((c) => c.name === channel.replace(/^#/, ''));
      }
      if (!info) {
        out.push({
          area,
          check,
          status: 'fail',
          detail: 'no such channel visible to the bot',
          fix: 'check the name, or use the channel id (C…)',
        });
      } else {
        out.push(
          info.is_member
            ? { area, check, status: 'ok', detail: info.id }
            : {
                area,
                check,
                status: 'fail',
                detail: `the bot is not a member of ${channel}`,
                fix: `in ${channel}: /invite @<your Runway app>`,
              },
        );
      }
    } catch (err) {
      const code = error(err);
      out.push({
        area,
        check,
        status: 'fail',
        detail: code,
        fix:
          code === 'missing_scope'
            ? 'add the channels:read (and groups:read) scopes and reinstall the app'
            : 'check the channel',
      });
    }
  }

  const approvers = new Set(services.flatMap((s) => s.environments.flatMap((e) => e.approval?.approvers ?? [])));
  for (const approver of approvers) {
    if (!USER_ID.test(approver)) {
      out.push({
        area,
        check: `approver ${approver}`,
        status: 'skip',
        detail: 'not a Slack user id: an API token name',
      });
      continue;
    }
    try {
      const { user } = await client.users.info({ user: approver });
      out.push(
        user?.deleted
          ? {
              area,
              check: `approver ${approver}`,
              status: 'fail',
              detail: 'deactivated',
              fix: 'remove or replace the approver',
            }
          : { area, check: `approver ${approver}`, status: 'ok', detail: `@${user?.name ?? '?'}` },
      );
    } catch (err) {
      out.push({
        area,
        check: `approver ${approver}`,
        status: 'fail',
        detail: error(err),
        fix: "Slack: the person's profile → ⋮ → Copy member ID (U…); needs the users:read scope",
      });
    }
  }
  return out;
}

async function listChannels(client: WebClient): Promise<{ id?: string; name?: string; is_member?: boolean }[]> {
  const all: { id?: string; name?: string; is_member?: boolean }[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const res = await client.conversations.list({
      exclude_archived: true,
      limit: 1000,
      types: 'public_channel,private_channel',
      ...(cursor ? { cursor } : {}),
    });
    all.push(...(res.channels ?? []));
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) break;
  }
  return all;
}
