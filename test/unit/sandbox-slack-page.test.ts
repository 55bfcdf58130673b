// The sandbox Slack page: it shows what Runway posted (parsed, never as HTML) and turns a button click into
// the signed block_actions request Slack would send to Runway's /slack/interactions.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runInNewContext } from 'node:vm';
import { isValidSlackRequest, verifySlackRequest } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackNotifier } from '../../integrations/slack.js';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../../integrations/slack-blocks.js';
import type { ReleaseTimeline } from '../../domain/types.js';
import { SLACK_PAGE_HTML } from '../../sandbox/slack-page-html.js';
import { sandboxRoutes, slackSignature } from '../../sandbox/slack-page.js';
import { mrkdwn, type Segment, type ViewChannel, type ViewMessage } from '../../sandbox/slack-view.js';
import { SlackFake } from '../../fakes/slack.js';

const SECRET = 'sandbox-signing-secret';
const TOKEN = 'xoxb-sandbox-token';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let slack: SlackFake;
let receiver: Server;
let received: Received[];
let routes: ReturnType<typeof sandboxRoutes>;
let interactionsUrl: string;

beforeAll(async () => {
  slack = new SlackFake({ tokens: [TOKEN], channels: [{ id: 'C0RELEASES', name: 'releases' }] });
  await slack.listen();
  // Stands in for Runway's /slack/interactions: records and acks like Bolt (empty 200).
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      // A slash command is acked with its answer, as Runway's /runway does for quick subcommands.
      if (req.url === '/slack/commands') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ response_type: 'ephemeral', text: '*hello*: staging `0123abcd`' }));
      } else res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  interactionsUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/slack/interactions`;
  routes = sandboxRoutes({ slackFake: slack, slackChannels: ['releases'] }, { signingSecret: SECRET, interactionsUrl });
});

beforeEach(() => {
  received = [];
});

afterAll(async () => {
  await slack?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

const timeline: ReleaseTimeline = {
  releaseId: 'release/hello/0123456789abcdef0123456789abcdef01234567',
  service: 'hello',
  commit: '0123456789abcdef0123456789abcdef01234567',
  status: 'awaiting_approval',
  stage: 'approval:production',
  stages: [
    { kind: 'deploy', environment: 'staging', state: 'succeeded', details: { image: 'reg/hello:0123abcd' } },
    { kind: 'approval', environment: 'production', state: 'running', details: { approvers: 'U0SANDBOXADMIN, admin' } },
  ],
  warnings: [],
  links: { mergeRequest: 'http://127.0.0.1:8081/sandbox/hello/-/merge_requests/1' },
};

/** What Runway's real notifier posts when production waits for approval. */
async function postApprovalRequest(): Promise<{ channel: string; ts: string }> {
  const notifier = createSlackNotifier({ token: TOKEN, apiUrl: slack.apiUrl });
  const { messageRef } = await notifier.publish({
    kind: 'approval_requested',
    channel: '#releases',
    environment: 'production',
    approvers: ['U0SANDBOXADMIN', 'admin'],
    timeline,
  });
  return messageRef!;
}

async function messagesJson(): Promise<{ users: { id: string }[]; channels: ViewChannel[] }> {
  const res = await routes.request('/slack/messages');
  expect(res.status).toBe(200);
  return (await res.json()) as { users: { id: string }[]; channels: ViewChannel[] };
}

async function click(body: Record<string, unknown>): Promise<Response> {
  return routes.request('/slack/click', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('GET /slack', () => {
  it('serves one self-contained page, locked down by CSP', async () => {
    const res = await routes.request('/slack');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html).not.toMatch(/innerHTML|insertAdjacentHTML|document\.write/);
  });
});

describe('GET /slack/messages', () => {
  it('shows a posted release message with its thread and working buttons', async () => {
    const ref = await postApprovalRequest();
    const data = await messagesJson();
    expect(data.users.map((u) => u.id)).toEqual(['U0SANDBOXADMIN', 'U0INTRUDER']);
    const message = data.channels[0]!.timeline.find((m) => m.ts === ref.ts) as ViewMessage;
    expect(message).toMatchObject({ kind: 'message', channel: 'C0RELEASES', edited: false });
    const [header] = message.blocks;
    expect(header).toMatchObject({ type: 'header', segments: [{ text: expect.stringMatching(/^✋ hello 01234567/) }] });
    expect(message.blocks.find((b) => b.type === 'actions')).toEqual({
      type: 'actions',
      buttons: [
        expect.objectContaining({
          actionId: APPROVE_ACTION_ID,
          text: 'Approve',
          style: 'primary',
          blockId: 'runway_approval',
        }),
        expect.objectContaining({ actionId: REJECT_ACTION_ID, text: 'Reject', style: 'danger' }),
      ],
    });
    const segments: Segment[] = message.blocks.flatMap((b) => ('segments' in b ? b.segments : []));
    expect(segments.find((s) => s.href)).toEqual({ text: 'Merge request', href: timeline.links.mergeRequest });
    expect(message.replies).toEqual([]);
  });
});

describe('mrkdwn', () => {
  it('parses what Runway writes into plain segments', () => {
    expect(mrkdwn('*Deploy · staging*  :white_check_mark: `reg/a:1` → <https://x.test/a?b=1&amp;c=2|Argo CD>')).toEqual(
      [
        { bold: true, text: 'Deploy · staging' },
        { text: '  ✅ ' },
        { code: true, text: 'reg/a:1' },
        { text: ' → ' },
        { text: 'Argo CD', href: 'https://x.test/a?b=1&c=2' },
      ],
    );
    expect(mrkdwn('by <@U1> at <!date^1700000000^{date_short_pretty}|2023-11-14T22:13:20.000Z>')).toEqual([
      { text: 'by ' },
      { mention: true, text: '@U1' },
      { text: ' at ' },
      { text: '2023-11-14T22:13:20.000Z', time: 1700000000 },
    ]);
    // As Slack shows it: the mentioned user's name when the page knows the user, else the id.
    expect(mrkdwn('*Approved by <@U1>*', {}, new Map([['U1', 'admin']]))).toEqual([
      { bold: true, text: 'Approved by ' },
      { bold: true, mention: true, text: '@admin' },
    ]);
    expect(mrkdwn(':warning: _failed: not_in_channel_')).toEqual([
      { text: '⚠️ ' },
      { italic: true, text: 'failed: not_in_channel' },
    ]);
  });

  it('keeps markup as text and drops non-http links', () => {
    expect(mrkdwn('&lt;script&gt;alert(1)&lt;/script&gt; &amp;lt;')).toEqual([
      { text: '<script>alert(1)</script> &lt;' },
    ]);
    expect(mrkdwn('<javascript:alert(1)|click>')).toEqual([{ text: 'click' }]);
  });
});

describe('POST /slack/click', () => {
  it('sends Runway a block_actions payload signed like Slack signs it', async () => {
    const ref = await postApprovalRequest();
    const message = slack.message(ref.channel, ref.ts)!;
    const value = JSON.stringify({ releaseId: timeline.releaseId, environment: 'production' });

    const res = await click({
      channel: ref.channel,
      ts: ref.ts,
      actionId: APPROVE_ACTION_ID,
      value,
      userId: 'U0SANDBOXADMIN',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 200, body: '' });

    expect(received).toHaveLength(1);
    const [{ headers, body }] = received as [Received];
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    const signed = {
      body,
      headers: {
        'x-slack-signature': String(headers['x-slack-signature']),
        'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
      },
    };
    expect(() => verifySlackRequest({ signingSecret: SECRET, ...signed })).not.toThrow();
    expect(isValidSlackRequest({ signingSecret: 'some-other-secret', ...signed })).toBe(false);

    const form = new URLSearchParams(body);
    expect([...form.keys()]).toEqual(['payload']);
    const payload = JSON.parse(form.get('payload')!);
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0SANDBOXADMIN', username: 'admin', team_id: slack.team.id },
      api_app_id: slack.bot.appId,
      team: { id: slack.team.id },
      container: { type: 'message', message_ts: ref.ts, channel_id: ref.channel, is_ephemeral: false },
      channel: { id: ref.channel, name: 'releases' },
      message: { ts: ref.ts, text: message.text, blocks: message.blocks },
      actions: [
        {
          type: 'button',
          action_id: APPROVE_ACTION_ID,
          block_id: 'runway_approval',
          value,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
        },
      ],
    });
    expect(payload.actions[0].action_ts).toMatch(/^\d+\.\d{6}$/);
    expect(payload.response_url).toBe(
      `${new URL(interactionsUrl).origin}/sandbox/slack/respond/${ref.channel}/${ref.ts}/U0SANDBOXADMIN`,
    );
  });

  it('acts as the user chosen on the page, and refuses what it cannot send', async () => {
    const ref = await postApprovalRequest();
    const value = JSON.stringify({ releaseId: timeline.releaseId, environment: 'production' });
    const base = { channel: ref.channel, ts: ref.ts, actionId: REJECT_ACTION_ID, value };

    expect((await click({ ...base, userId: 'U0INTRUDER' })).status).toBe(200);
    const payload = JSON.parse(new URLSearchParams(received[0]!.body).get('payload')!);
    expect(payload.user).toMatchObject({ id: 'U0INTRUDER', username: 'intruder' });

    expect((await click({ ...base, userId: 'U0NOBODY' })).status).toBe(400);
    expect((await click({ ...base, value: 'forged', userId: 'U0SANDBOXADMIN' })).status).toBe(409);
    expect((await click({ ...base, ts: '1.000001', userId: 'U0SANDBOXADMIN' })).status).toBe(404);
    expect((await click({ nonsense: true })).status).toBe(400);
    expect(received).toHaveLength(1);
  });

  it('reports a Runway that does not answer', async () => {
    const ref = await postApprovalRequest();
    const value = JSON.stringify({ releaseId: timeline.releaseId, environment: 'production' });
    const offline = sandboxRoutes(
      { slackFake: slack },
      { signingSecret: SECRET, interactionsUrl: 'http://127.0.0.1:1/slack/interactions' },
    );
    const res = await offline.request('/slack/click', {
      method: 'POST',
      body: JSON.stringify({
        channel: ref.channel,
        ts: ref.ts,
        actionId: APPROVE_ACTION_ID,
        value,
        userId: 'U0SANDBOXADMIN',
      }),
    });
    expect(res.status).toBe(502);
  });
});

describe('response_url', () => {
  it('replaces the original message or answers only the presser', async () => {
    const ref = await postApprovalRequest();
    const respond = (user: string, body: unknown) =>
      routes.request(`/slack/respond/${ref.channel}/${ref.ts}/${user}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });

    expect((await respond('U0INTRUDER', { text: 'Not allowed' })).status).toBe(200);
    expect(slack.ephemerals('#releases').at(-1)).toMatchObject({ user: 'U0INTRUDER', text: 'Not allowed' });

    expect((await respond('U0SANDBOXADMIN', { replace_original: true, text: 'Approved by admin' })).status).toBe(200);
    expect(slack.message(ref.channel, ref.ts)).toMatchObject({ text: 'Approved by admin', edited: expect.any(Object) });

    const data = await messagesJson();
    const timelineItems = data.channels[0]!.timeline;
    expect(timelineItems.find((m) => m.ts === ref.ts)).toMatchObject({ edited: true });
    expect(timelineItems.at(-1)).toMatchObject({
      kind: 'ephemeral',
      user: 'U0INTRUDER',
      text: [{ text: 'Not allowed' }],
    });
  });
});

describe('slackSignature', () => {
  it('is Slack v0: HMAC-SHA256 over v0:<timestamp>:<body>', () => {
    const signature = slackSignature(SECRET, 1_700_000_000, 'payload=%7B%7D');
    expect(() =>
      verifySlackRequest({
        signingSecret: SECRET,
        body: 'payload=%7B%7D',
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': 1_700_000_000 },
        nowMilliseconds: 1_700_000_010_000,
      }),
    ).not.toThrow();
  });
});

/** Just enough DOM for the page script: elements are plain objects, text nodes hold their text. */
class StubElement {
  children: (StubElement | { text: string })[] = [];
  className = '';
  textContent = '';
  value = '';
  disabled = false;
  open = false;
  href = '';
  title = '';
  target = '';
  rel = '';
  style: Record<string, string> = {};
  options: StubElement[] = [];
  onclick?: () => Promise<void>;
  constructor(readonly tag: string) {}
  append(...nodes: (StubElement | { text: string })[]): void {
    this.children.push(...nodes);
    for (const n of nodes) {
      if (this.tag !== 'select' || !(n instanceof StubElement)) continue;
      this.options.push(n);
      this.value ||= n.value;
    }
  }
  replaceChildren(): void {
    this.children = [];
  }
}

function walk(node: StubElement | { text: string }, out: (StubElement | { text: string })[] = []) {
  out.push(node);
  if (node instanceof StubElement) for (const child of node.children) walk(child, out);
  return out;
}

describe('the slash-command box', () => {
  it('sends /runway as Slack would (signed form) and shows the answer only to the sender', async () => {
    const res = await routes.request('/slack/command', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: '#releases', text: 'status hello', userId: 'U0SANDBOXADMIN' }),
    });
    expect(res.status).toBe(200);
    expect(received).toHaveLength(1);
    const { headers, body } = received[0]!;
    const form = new URLSearchParams(body);
    expect(Object.fromEntries(form)).toMatchObject({
      command: '/runway',
      text: 'status hello',
      user_id: 'U0SANDBOXADMIN',
      user_name: 'admin',
      channel_id: 'C0RELEASES',
      channel_name: 'releases',
    });
    const timestamp = Number(headers['x-slack-request-timestamp']);
    expect(headers['x-slack-signature']).toBe(slackSignature(SECRET, timestamp, body));
    expect(
      isValidSlackRequest({
        signingSecret: SECRET,
        body,
        headers: {
          'x-slack-signature': String(headers['x-slack-signature']),
          'x-slack-request-timestamp': timestamp,
        },
      }),
    ).toBe(true);
    const answer = slack.ephemerals('releases').at(-1);
    expect(answer).toMatchObject({ user: 'U0SANDBOXADMIN', text: '*hello*: staging `0123abcd`' });
  });

  it('refuses an unknown user or channel without calling Runway', async () => {
    const post = (input: unknown) =>
      routes.request('/slack/command', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
    expect((await post({ channel: '#releases', text: 'help', userId: 'U0NOBODY' })).status).toBe(400);
    expect((await post({ channel: '#elsewhere', text: 'help', userId: 'U0SANDBOXADMIN' })).status).toBe(404);
    expect((await post({ text: 'help' })).status).toBe(400);
    expect(received).toHaveLength(0);
  });
});

describe('the page script', () => {
  it('renders the channel and clicks through the server', async () => {
    const ref = await postApprovalRequest();
    const byId: Record<string, StubElement> = {
      user: new StubElement('select'),
      status: new StubElement('span'),
      toast: new StubElement('div'),
      command: new StubElement('form'),
      'command-text': new StubElement('input'),
    };
    const main = new StubElement('main');
    const document = {
      createElement: (tag: string) => new StubElement(tag),
      createTextNode: (text: string) => ({ text }),
      getElementById: (id: string) => byId[id],
      querySelector: () => main,
    };
    const storage = new Map<string, string>();
    const context = {
      document,
      location: { pathname: '/sandbox/slack' },
      window: { scrollY: 0, scrollTo: () => undefined },
      localStorage: {
        getItem: (k: string) => storage.get(k) ?? null,
        setItem: (k: string, v: string) => storage.set(k, v),
      },
      // The page polls forever; here it runs once per explicit call.
      setTimeout: () => 0,
      clearTimeout: () => undefined,
      fetch: (url: string, init?: RequestInit) => routes.request(url.replace(/^\/sandbox/, ''), init),
    };
    const script = /<script>([\s\S]*)<\/script>/.exec(SLACK_PAGE_HTML)![1]!;
    runInNewContext(script, context);
    await new Promise((r) => setTimeout(r, 100));

    expect(byId.status!.textContent).toBe('');
    expect(byId.user!.options.map((o) => o.value)).toEqual(['U0SANDBOXADMIN', 'U0INTRUDER']);
    const nodes = walk(main);
    const text = nodes.map((n) => ('text' in n ? n.text : n.textContent)).join('');
    expect(text).toContain('#releases');
    expect(text).toContain('Approval needed to deploy to ');
    const approve = nodes.filter(
      (n): n is StubElement => n instanceof StubElement && n.tag === 'button' && n.textContent === 'Approve',
    );
    expect(approve.length).toBeGreaterThan(0);
    expect(approve.at(-1)!.className).toBe('primary');

    byId.user!.value = 'U0INTRUDER';
    await approve.at(-1)!.onclick!();
    expect(received).toHaveLength(1);
    const payload = JSON.parse(new URLSearchParams(received[0]!.body).get('payload')!);
    expect(payload).toMatchObject({
      user: { id: 'U0INTRUDER' },
      container: { message_ts: ref.ts },
      actions: [{ action_id: APPROVE_ACTION_ID }],
    });
    expect(byId.toast!.textContent).toBe('Approve as U0INTRUDER: Runway answered HTTP 200');
  });
});
