// The sandbox's Slack stand-in page, mounted at /sandbox: read the channel, and click Approve / Reject.
// A click becomes the request Slack itself would send (a signed, form-encoded block_actions payload) and
// goes to Runway's own /slack/interactions, so the sandbox exercises the real door, signature check included.
import { registerSmokeRoute } from './smoke.js';
import { createHmac, randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import type { FakeSlackMessage, SlackFake } from '../fakes/slack.js';
import { SLACK_PAGE_CSP, SLACK_PAGE_HTML } from './slack-page-html.js';
import { findButton, viewChannel } from './slack-view.js';

export interface SandboxUser {
  id: string;
  username: string;
}

/** `admin` is an approver in the sandbox config; the intruder shows what a refusal looks like. */
export const SANDBOX_USERS: readonly SandboxUser[] = [
  { id: 'U0SANDBOXADMIN', username: 'admin' },
  { id: 'U0INTRUDER', username: 'intruder' },
];

export interface SandboxSlackSource {
  slackFake: SlackFake;
  /** Channel names to show; default `releases`. */
  slackChannels?: readonly string[];
}

export interface SandboxRoutesOptions {
  signingSecret: string;
  /** Runway's interactivity endpoint, e.g. http://127.0.0.1:8080/slack/interactions. */
  interactionsUrl: string;
  /** Runway's slash command endpoint; default `/slack/commands` on the interactions origin. */
  commandsUrl?: string;
  /** Base of the response_url handed to Runway; default `/sandbox/slack/respond` on the interactions origin. */
  responseUrlBase?: string;
  users?: readonly SandboxUser[];
  /** Clock for the signature timestamp (tests). */
  now?: () => number;
}

/** Slack's v0 signature: HMAC-SHA256 of `v0:<timestamp>:<raw body>`. */
export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** Headers and body exactly as Slack sends an interaction: one `payload` form field, signed. */
export function signedInteraction(
  payload: unknown,
  signingSecret: string,
  nowMs: number,
): { body: string; headers: Record<string, string> } {
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const timestamp = Math.floor(nowMs / 1000);
  return {
    body,
    headers: {
      // Bolt compares this string exactly: no charset parameter.
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': String(timestamp),
      'X-Slack-Signature': slackSignature(signingSecret, timestamp, body),
      'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    },
  };
}

const clickInput = z.object({
  channel: z.string().min(1),
  ts: z.string().regex(/^\d+\.\d+$/),
  actionId: z.string().min(1),
  value: z.string(),
  userId: z.string().min(1),
});

const respondInput = z.looseObject({
  text: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
  replace_original: z.union([z.boolean(), z.string()]).optional(),
  delete_original: z.union([z.boolean(), z.string()]).optional(),
  response_type: z.enum(['ephemeral', 'in_channel']).optional(),
  thread_ts: z.string().optional(),
});

const commandInput = z.object({
  channel: z.string().min(1),
  text: z.string().max(3_000),
  userId: z.string().min(1),
});

/** A slash command exactly as Slack posts it: a signed form (api.slack.com/interactivity/slash-commands). */
export function signedCommand(
  fields: Record<string, string>,
  signingSecret: string,
  nowMs: number,
): { body: string; headers: Record<string, string> } {
  const body = new URLSearchParams(fields).toString();
  const timestamp = Math.floor(nowMs / 1000);
  return {
    body,
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': String(timestamp),
      'X-Slack-Signature': slackSignature(signingSecret, timestamp, body),
      'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    },
  };
}

const truthy = (v: boolean | string | undefined): boolean => v === true || v === 'true';
const actionTs = (nowMs: number): string =>
  `${Math.floor(nowMs / 1000)}.${String((nowMs % 1000) * 1000).padStart(6, '0')}`;

export function sandboxRoutes(sandbox: SandboxSlackSource, options: SandboxRoutesOptions): Hono {
  const slack = sandbox.slackFake;
  const channels = sandbox.slackChannels ?? ['releases'];
  const users = options.users ?? SANDBOX_USERS;
  const now = options.now ?? Date.now;
  const responseBase = (
    options.responseUrlBase ?? new URL('/sandbox/slack/respond', options.interactionsUrl).href
  ).replace(/\/+$/, '');
  const people = new Map(users.map((u) => [u.id, u.username]));
  const app = new Hono();
  registerSmokeRoute(app);

  app.get('/', (c) => c.redirect(`${c.req.path.replace(/\/+$/, '')}/slack`));
  app.get('/slack', (c) => {
    c.header('Content-Security-Policy', SLACK_PAGE_CSP);
    c.header('Cache-Control', 'no-store');
    return c.html(SLACK_PAGE_HTML);
  });

  app.get('/slack/messages', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ users, channels: channels.map((name) => viewChannel(slack, name, people)) });
  });

  app.post('/slack/click', async (c) => {
    const parsed = clickInput.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: 'expected {channel, ts, actionId, value, userId}' }, 400);
    const { channel, ts, actionId, value, userId } = parsed.data;
    const user = users.find((u) => u.id === userId);
    if (!user) return c.json({ error: `unknown sandbox user ${userId}` }, 400);
    const message = slack.message(channel, ts);
    if (!message) return c.json({ error: `no message ${ts} in ${channel}` }, 404);
    const button = findButton(message, actionId, value);
    if (!button) return c.json({ error: 'that button is no longer on the message' }, 409);

    const nowMs = now();
    const channelName = channels.find((n) => slack.message(n, ts)?.channel === message.channel) ?? channel;
    const payload = blockActions({ slack, message, user, button, nowMs, responseBase, channelName });
    const { body, headers } = signedInteraction(payload, options.signingSecret, nowMs);
    try {
      const res = await fetch(options.interactionsUrl, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(10_000),
      });
      return c.json({ status: res.status, body: (await res.text()).slice(0, 2_000) });
    } catch (err) {
      return c.json({ error: `Runway did not answer at ${options.interactionsUrl}: ${(err as Error).message}` }, 502);
    }
  });

  // The slash-command box: `/runway <text>` as the chosen user, sent to Runway's /slack/commands. An
  // immediate answer (the ack's body) is shown the way Slack shows it: an ephemeral only that user sees.
  app.post('/slack/command', async (c) => {
    const parsed = commandInput.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: 'expected {channel, text, userId}' }, 400);
    const { text, userId } = parsed.data;
    const user = users.find((u) => u.id === userId);
    if (!user) return c.json({ error: `unknown sandbox user ${userId}` }, 400);
    const listed = (await callSlack(slack, 'conversations.list', {})) as { channels?: { id: string; name: string }[] };
    const channel = listed.channels?.find((ch) => ch.name === parsed.data.channel.replace(/^#/, ''));
    if (!channel) return c.json({ error: `no channel ${parsed.data.channel}` }, 404);
    const nowMs = now();
    const fields = {
      token: 'sandbox-verification-token',
      team_id: slack.team.id,
      team_domain: 'runway-sandbox',
      channel_id: channel.id,
      channel_name: channel.name,
      user_id: user.id,
      user_name: user.username,
      command: '/runway',
      text: text.trim(),
      api_app_id: slack.bot.appId,
      is_enterprise_install: 'false',
      response_url: `${responseBase}/${encodeURIComponent(channel.id)}/0.000000/${encodeURIComponent(user.id)}`,
      trigger_id: `${Math.floor(nowMs / 1000)}.0.${randomBytes(16).toString('hex')}`,
    };
    const { body, headers } = signedCommand(fields, options.signingSecret, nowMs);
    const url = options.commandsUrl ?? new URL('/slack/commands', options.interactionsUrl).href;
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
      const answer = await res.text();
      let reply: { text?: string; blocks?: unknown[]; response_type?: string } = {};
      try {
        reply = answer ? (JSON.parse(answer) as typeof reply) : {};
      } catch {
        reply = { text: answer };
      }
      if (res.ok && (reply.text || reply.blocks)) {
        const content = { text: reply.text ?? '', ...(reply.blocks ? { blocks: reply.blocks } : {}) };
        await (reply.response_type === 'in_channel'
          ? callSlack(slack, 'chat.postMessage', { channel: channel.id, ...content })
          : callSlack(slack, 'chat.postEphemeral', { channel: channel.id, user: user.id, ...content }));
      }
      return c.json({ status: res.status, body: answer.slice(0, 2_000) });
    } catch (err) {
      return c.json({ error: `Runway did not answer at ${url}: ${(err as Error).message}` }, 502);
    }
  });

  // response_url: what Bolt's respond() posts to. Replays it on the fake through its own Web API.
  app.post('/slack/respond/:channel/:ts/:user', async (c) => {
    const parsed = respondInput.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ ok: false, error: 'invalid_payload' }, 400);
    const { channel, ts, user } = c.req.param();
    const r = parsed.data;
    if (truthy(r.delete_original)) {
      slack.deleteMessage(channel, ts);
      return c.json({ ok: true });
    }
    const content = { text: r.text ?? '', ...(r.blocks ? { blocks: r.blocks } : {}) };
    const answer = truthy(r.replace_original)
      ? await callSlack(slack, 'chat.update', { channel, ts, ...content })
      : r.response_type === 'in_channel'
        ? await callSlack(slack, 'chat.postMessage', {
            channel,
            ...content,
            ...(r.thread_ts ? { thread_ts: r.thread_ts } : {}),
          })
        : await callSlack(slack, 'chat.postEphemeral', {
            channel,
            user,
            ...content,
            ...(r.thread_ts ? { thread_ts: r.thread_ts } : {}),
          });
    return c.json(answer.ok ? { ok: true } : answer, answer.ok ? 200 : 400);
  });

  return app;
}

function blockActions(input: {
  slack: SlackFake;
  message: FakeSlackMessage;
  user: SandboxUser;
  button: NonNullable<ReturnType<typeof findButton>>;
  nowMs: number;
  responseBase: string;
  channelName: string;
}): Record<string, unknown> {
  const { slack, message, user, button, nowMs } = input;
  const { channel, ...shown } = message;
  const name = input.channelName.replace(/^#/, '');
  const { element } = button;
  return {
    type: 'block_actions',
    user: { id: user.id, username: user.username, name: user.username, team_id: slack.team.id },
    api_app_id: slack.bot.appId,
    token: 'sandbox-verification-token',
    container: { type: 'message', message_ts: message.ts, channel_id: channel, is_ephemeral: false },
    trigger_id: `${Math.floor(nowMs / 1000)}.0.${randomBytes(16).toString('hex')}`,
    team: { id: slack.team.id, domain: 'runway-sandbox' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name },
    message: shown,
    state: { values: {} },
    response_url: `${input.responseBase}/${encodeURIComponent(channel)}/${message.ts}/${encodeURIComponent(user.id)}`,
    actions: [
      {
        type: 'button',
        action_id: element.action_id,
        block_id: button.blockId,
        text: element.text,
        value: element.value,
        ...(element.style ? { style: element.style } : {}),
        action_ts: actionTs(nowMs),
      },
    ],
  };
}

/** Calls the fake's Web API over HTTP, so its validation and events apply as for Runway's own calls. */
async function callSlack(
  slack: SlackFake,
  method: string,
  args: Record<string, unknown>,
): Promise<{ ok: boolean; error?: string }> {
  const [token] = slack.tokens;
  const res = await fetch(`${slack.apiUrl}${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${token ?? ''}` },
    body: JSON.stringify(args),
  });
  return (await res.json()) as { ok: boolean; error?: string };
}
