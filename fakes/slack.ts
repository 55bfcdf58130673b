// A fake Slack Web API on 127.0.0.1 (auth.test, chat.postMessage with metadata, chat.update, chat.postEphemeral,
// conversations.history and conversations.replies with include_all_metadata), built on
// HttpFake for the request journal and fault injection. It keeps channels, messages, threads and ephemerals
// so tests (and the sandbox UI) can look at what a user would see.
import { SlackRateLimiter } from './slack-rate-limits.js';
import { HttpFake, type Fault, type FakeRequest, type FakeResponse } from './http-fake.js';

export interface FakeSlackChannel {
  id: string;
  name?: string;
  /** False makes posts fail with `not_in_channel`. Default true. */
  botIsMember?: boolean;
  /** When set, ephemerals to anyone else fail with `user_not_in_channel`. */
  members?: string[];
}

export interface FakeSlackOptions {
  /** Accepted bot tokens. Default `['xoxb-fake-token']`. */
  tokens?: string[];
  channels?: (string | FakeSlackChannel)[];
  team?: { id: string; name: string };
  bot?: { userId: string; botId: string; appId: string };
  /** Seconds part of the first ts. Default 1700000000. */
  startSeconds?: number;
  /** Workspace members users.info knows (the bot user is always known). */
  users?: FakeSlackUser[];
  /** When set, message timestamps follow this clock (epoch ms), as Slack's do, still strictly increasing. */
  clock?: () => number;
  /**
   * Enforce Slack's published rate limits (fakes/slack-rate-limits.ts): 429 + Retry-After over a method's tier or
   * over chat.postMessage's per-channel pace. Off by default only so unit tests can post back to back.
   */
  rateLimits?: boolean;
}

export interface FakeSlackUser {
  id: string;
  name: string;
  deleted?: boolean;
  is_bot?: boolean;
}

/** Everything a reader sees, as plain JSON: what snapshot() returns and restore() takes back. */
export interface FakeSlackState {
  topLevel: [string, FakeSlackMessage[]][];
  replies: [string, FakeSlackMessage[]][];
  ephemerals: FakeSlackEphemeral[];
  /** The newest ts handed out, in microseconds, so restored messages keep their order. */
  lastMicros: number;
}

export interface FakeSlackMessage {
  type: 'message';
  channel: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  user: string;
  bot_id: string;
  app_id: string;
  team: string;
  thread_ts?: string;
  reply_count?: number;
  edited?: { user: string; ts: string };
  /** Message metadata posted with the message (returned by reads only with `include_all_metadata`). */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

export interface FakeSlackEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks?: unknown[];
  message_ts: string;
  thread_ts?: string;
}

export interface FakeSlackCall {
  method: string;
  args: Record<string, unknown>;
  contentType: string;
  at: number;
}

export type FakeSlackEvent =
  | { type: 'posted' | 'updated'; message: FakeSlackMessage }
  | { type: 'deleted'; channel: string; ts: string }
  | { type: 'ephemeral'; ephemeral: FakeSlackEphemeral };

type Args = Record<string, unknown>;
type Outcome = Record<string, unknown>;

const JSON_FIELDS = ['blocks', 'attachments', 'metadata'];
export const DEFAULT_FAKE_SLACK_TOKEN = 'xoxb-fake-token';

function ok(body: Outcome): FakeResponse {
  return { status: 200, body: { ok: true, ...body } };
}
// Slack reports almost every failure as HTTP 200 with ok:false.
function fail(error: string, extra: Outcome = {}): FakeResponse {
  return { status: 200, body: { ok: false, error, ...extra } };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** Scalars as Slack would read them from a form or JSON body; anything else counts as absent. */
function str(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

function textOf(value: unknown): string {
  const t = record(value).text;
  return typeof t === 'string' ? t : '';
}

/** Checks the Block Kit limits Runway could plausibly hit; returns the reasons, empty when fine. */
export function blockProblems(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return ['blocks must be an array'];
  const problems: string[] = [];
  if (blocks.length > 50) problems.push('no more than 50 items allowed [json-pointer:/blocks]');
  const blockIds = new Set<string>();
  blocks.forEach((raw, i) => {
    const b = record(raw);
    const at = `[json-pointer:/blocks/${i}]`;
    if (typeof b.type !== 'string') return void problems.push(`missing type ${at}`);
    if (typeof b.block_id === 'string') {
      if (b.block_id.length > 255 || blockIds.has(b.block_id)) problems.push(`invalid or duplicate block_id ${at}`);
      blockIds.add(b.block_id);
    }
    if (b.type === 'header' && (record(b.text).type !== 'plain_text' || textOf(b.text).length > 150)) {
      problems.push(`header text must be plain_text of at most 150 characters ${at}`);
    }
    if (b.type === 'section' && textOf(b.text).length > 3000)
      problems.push(`must be less than 3001 characters ${at}/text`);
    const elements = Array.isArray(b.elements) ? b.elements.map(record) : [];
    if (b.type === 'context' && (elements.length === 0 || elements.length > 10)) {
      problems.push(`context needs 1-10 elements ${at}`);
    }
    if (b.type === 'actions') {
      const actionIds = new Set<unknown>();
      for (const el of elements) {
        if (typeof el.value === 'string' && el.value.length > 2000) problems.push(`value too long ${at}`);
        if (actionIds.has(el.action_id)) problems.push(`duplicate action_id ${at}`);
        actionIds.add(el.action_id);
      }
    }
  });
  return problems;
}

export class SlackFake {
  readonly http = new HttpFake('slack');
  readonly tokens: Set<string>;
  readonly team: { id: string; name: string };
  readonly bot: { userId: string; botId: string; appId: string };
  private readonly channels = new Map<string, FakeSlackChannel>();
  private readonly users = new Map<string, FakeSlackUser>();
  private readonly topLevel = new Map<string, FakeSlackMessage[]>();
  private readonly replies = new Map<string, FakeSlackMessage[]>();
  private readonly ephemeralLog: FakeSlackEphemeral[] = [];
  /** response_url answers by url id; each url takes at most 5 posts (Slack: "up to 5 times within 30 minutes"). */
  private readonly responseLog = new Map<string, Record<string, unknown>[]>();
  private readonly listeners = new Set<(event: FakeSlackEvent) => void>();
  private readonly startSeconds: number;
  private readonly clock?: () => number;
  private seq = 0;
  private lastMicros = 0;
  private readonly limiter?: SlackRateLimiter;
  /** Calls refused with 429 by the rate limiter, by method. */
  readonly rateLimited = new Map<string, number>();

  constructor(options: FakeSlackOptions = {}) {
    this.tokens = new Set(options.tokens ?? [DEFAULT_FAKE_SLACK_TOKEN]);
    this.team = options.team ?? { id: 'T0FAKE', name: 'Fake Workspace' };
    this.bot = options.bot ?? { userId: 'U0RUNWAY', botId: 'B0RUNWAY', appId: 'A0RUNWAY' };
    this.startSeconds = options.startSeconds ?? 1_700_000_000;
    this.clock = options.clock;
    if (options.rateLimits) this.limiter = new SlackRateLimiter();
    for (const c of options.channels ?? []) this.addChannel(c);
    for (const u of options.users ?? []) this.users.set(u.id, u);
    this.http
      .route('POST', '/api/auth.test', (req) => this.handle(req, () => this.authTest()))
      .route('POST', '/api/chat.postMessage', (req) => this.handle(req, (a) => this.postMessage(a)))
      .route('POST', '/api/chat.update', (req) => this.handle(req, (a) => this.update(a)))
      .route('POST', '/api/chat.postEphemeral', (req) => this.handle(req, (a) => this.postEphemeral(a)))
      .route('POST', '/api/conversations.history', (req) => this.handle(req, (a) => this.history(a)))
      .route('POST', '/api/conversations.replies', (req) => this.handle(req, (a) => this.repliesOf(a)))
      .route('POST', '/api/conversations.info', (req) => this.handle(req, (a) => this.conversationInfo(a)))
      .route('POST', '/api/conversations.list', (req) => this.handle(req, (a) => this.list(a)))
      .route('POST', '/api/users.info', (req) => this.handle(req, (a) => this.userInfo(a)))
      .route('POST', '/api/:method', (req) => this.handle(req, () => fail('unknown_method')))
      .route('POST', '/response/:id', (req, params) => this.respond(params.id!, req));
  }

  /** A response_url for a slash command or interaction payload, as Slack puts one in each. */
  responseUrl(id = `R${this.responseLog.size + 1}`): string {
    this.responseLog.set(id, this.responseLog.get(id) ?? []);
    return `${this.http.url}/response/${id}`;
  }

  /** What was posted to a response_url, in order. */
  responses(id?: string): Record<string, unknown>[] {
    return id ? [...(this.responseLog.get(id) ?? [])] : [...this.responseLog.values()].flat();
  }

  private respond(id: string, req: FakeRequest): FakeResponse {
    const log = this.responseLog.get(id);
    if (!log) return { status: 404, body: 'no_such_url' };
    if (log.length >= 5) return { status: 404, body: 'used_url' };
    let body: unknown;
    try {
      body = req.json();
    } catch {
      return { status: 400, body: 'invalid_payload' };
    }
    if (typeof body !== 'object' || body === null || typeof (body as { text?: unknown }).text !== 'string') {
      return { status: 400, body: 'no_text' };
    }
    log.push(body as Record<string, unknown>);
    return { status: 200, body: 'ok' };
  }

  async listen(port = 0): Promise<string> {
    await this.http.listen(port);
    return this.apiUrl;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** What to hand WebClient as `slackApiUrl`. */
  get apiUrl(): string {
    return `${this.http.url}/api/`;
  }

  addChannel(channel: string | FakeSlackChannel): void {
    const c = typeof channel === 'string' ? { id: channel } : channel;
    this.channels.set(c.id, c);
    if (!this.topLevel.has(c.id)) this.topLevel.set(c.id, []);
  }

  /** Top-level messages of a channel (id or name), oldest first. */
  messages(channel: string): FakeSlackMessage[] {
    const id = this.resolve(channel)?.id ?? channel;
    return [...(this.topLevel.get(id) ?? [])];
  }

  /** Replies in the thread under `ts`, oldest first. */
  thread(channel: string, ts: string): FakeSlackMessage[] {
    const id = this.resolve(channel)?.id ?? channel;
    return [...(this.replies.get(`${id}/${ts}`) ?? [])];
  }

  message(channel: string, ts: string): FakeSlackMessage | undefined {
    const id = this.resolve(channel)?.id ?? channel;
    return this.find(id, ts);
  }

  ephemerals(channel?: string): FakeSlackEphemeral[] {
    return this.ephemeralLog.filter((e) => !channel || e.channel === (this.resolve(channel)?.id ?? channel));
  }

  /** Calls that reached a method handler or a fault, parsed, optionally for one method. */
  calls(method?: string): FakeSlackCall[] {
    return this.http
      .received('POST', /^\/api\//)
      .filter((r) => !method || r.path === `/api/${method}`)
      .map((r) => {
        const contentType = String(r.headers['content-type'] ?? '');
        let args: Args;
        try {
          args = parseArgs(contentType, r.body);
        } catch {
          args = {};
        }
        return { method: r.path.slice('/api/'.length), args, contentType, at: r.at };
      });
  }

  /** Simulates someone deleting the message (later chat.update gets `message_not_found`). */
  deleteMessage(channel: string, ts: string): void {
    channel = this.resolve(channel)?.id ?? channel;
    const list = this.topLevel.get(channel);
    const index = list?.findIndex((m) => m.ts === ts) ?? -1;
    if (list && index >= 0) list.splice(index, 1);
    this.emit({ type: 'deleted', channel, ts });
  }

  subscribe(listener: (event: FakeSlackEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** HttpFake fault injection, addressed by Slack method name (all methods when omitted). */
  inject(fault: Fault, method?: string, times = 1): this {
    this.http.inject(
      fault,
      { method: 'POST', path: method ? new RegExp(`^/api/${method.replace(/\./g, '\\.')}$`) : /^\/api\// },
      times,
    );
    return this;
  }

  /** HTTP 429 with Retry-After and Slack's `ratelimited` body. */
  rateLimit(method: string, retryAfterSeconds: number, times = 1): this {
    return this.inject(
      { kind: 'rateLimit', retryAfterSeconds, body: { ok: false, error: 'ratelimited' } },
      method,
      times,
    );
  }

  /** HTTP 200 `{ok:false, error}` for the next `times` calls of `method`. */
  failWith(method: string, error: string, times = 1): this {
    return this.inject({ kind: 'status', status: 200, body: { ok: false, error } }, method, times);
  }

  private emit(event: FakeSlackEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** The channels' messages, threads and ephemerals, to save and restore() later (the sandbox keeps them on disk). */
  snapshot(): FakeSlackState {
    return structuredClone({
      topLevel: [...this.topLevel],
      replies: [...this.replies],
      ephemerals: this.ephemeralLog,
      lastMicros: this.lastMicros,
    });
  }

  /** Puts back what snapshot() saw, for the channels this fake knows (others are dropped). */
  restore(state: FakeSlackState): void {
    const known = (key: string) => this.channels.has(key.split('/')[0] ?? '');
    for (const [id, list] of state.topLevel) if (known(id)) this.topLevel.set(id, structuredClone(list));
    for (const [key, list] of state.replies) if (known(key)) this.replies.set(key, structuredClone(list));
    this.ephemeralLog.push(...structuredClone(state.ephemerals.filter((e) => known(e.channel))));
    this.lastMicros = Math.max(this.lastMicros, state.lastMicros);
  }

  private nextTs(): string {
    this.seq += 1;
    const base = this.clock ? this.clock() * 1_000 : this.startSeconds * 1_000_000 + this.seq * 100;
    const micros = Math.max(Math.floor(base), this.lastMicros + 1);
    this.lastMicros = micros;
    return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  private resolve(channel: unknown): FakeSlackChannel | undefined {
    if (typeof channel !== 'string') return undefined;
    const name = channel.replace(/^#/, '');
    return this.channels.get(channel) ?? [...this.channels.values()].find((c) => c.name === name);
  }

  private find(channel: string, ts: string): FakeSlackMessage | undefined {
    const top = this.topLevel.get(channel)?.find((m) => m.ts === ts);
    if (top) return top;
    for (const [key, list] of this.replies) {
      if (!key.startsWith(`${channel}/`)) continue;
      const reply = list.find((m) => m.ts === ts);
      if (reply) return reply;
    }
    return undefined;
  }

  private async handle(req: FakeRequest, run: (args: Args) => FakeResponse): Promise<FakeResponse> {
    const contentType = String(req.headers['content-type'] ?? '');
    let args: Args;
    try {
      args = parseArgs(contentType, req.body);
    } catch {
      return fail(contentType.startsWith('application/json') ? 'invalid_json' : 'invalid_blocks_format');
    }
    // Form bodies may carry the token as a field; JSON bodies must use the Authorization header.
    const header = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const token = header ?? (contentType.startsWith('application/json') ? undefined : args.token);
    if (typeof token !== 'string' || token === '') return fail('not_authed');
    if (!this.tokens.has(token)) return fail('invalid_auth');
    const method = req.path.slice('/api/'.length);
    const channel = this.resolve(args.channel)?.id;
    const retryAfter = this.limiter?.admit(method, channel);
    if (retryAfter !== undefined) {
      this.rateLimited.set(method, (this.rateLimited.get(method) ?? 0) + 1);
      return { status: 429, headers: { 'retry-after': String(retryAfter) }, body: { ok: false, error: 'ratelimited' } };
    }
    return run(args);
  }

  private authTest(): FakeResponse {
    return ok({
      url: `https://${this.team.name.toLowerCase().replace(/\W+/g, '-')}.slack.com/`,
      team: this.team.name,
      user: 'runway',
      team_id: this.team.id,
      user_id: this.bot.userId,
      bot_id: this.bot.botId,
      is_enterprise_install: false,
    });
  }

  private content(args: Args): { text: string; blocks?: unknown[] } | FakeResponse {
    const text = typeof args.text === 'string' ? args.text : '';
    const blocks = args.blocks === undefined ? undefined : args.blocks;
    if (!text && (!Array.isArray(blocks) || blocks.length === 0)) return fail('no_text');
    if (text.length > 40_000) return fail('msg_too_long');
    if (blocks !== undefined) {
      const problems = blockProblems(blocks);
      if (problems.length > 0) {
        return fail('invalid_blocks', {
          errors: problems,
          response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
        });
      }
    }
    return { text, blocks: blocks as unknown[] | undefined };
  }

  private postable(args: Args): FakeSlackChannel | FakeResponse {
    const channel = this.resolve(args.channel);
    if (!channel) return fail('channel_not_found');
    if (channel.botIsMember === false) return fail('not_in_channel');
    return channel;
  }

  private postMessage(args: Args): FakeResponse {
    const channel = this.postable(args);
    if ('status' in channel) return channel;
    const content = this.content(args);
    if ('status' in content) return content;
    const metadata = parseMetadata(args.metadata);
    if (metadata === 'invalid') return fail('invalid_metadata_format');
    let threadTs: string | undefined;
    if (str(args.thread_ts) !== '') {
      const parent = this.find(channel.id, str(args.thread_ts));
      if (!parent) return fail('thread_not_found');
      threadTs = parent.thread_ts ?? parent.ts;
    }
    const message: FakeSlackMessage = {
      type: 'message',
      channel: channel.id,
      ts: this.nextTs(),
      text: content.text,
      ...(content.blocks ? { blocks: content.blocks } : {}),
      user: this.bot.userId,
      bot_id: this.bot.botId,
      app_id: this.bot.appId,
      team: this.team.id,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      ...(metadata ? { metadata } : {}),
    };
    if (threadTs) {
      const key = `${channel.id}/${threadTs}`;
      this.replies.set(key, [...(this.replies.get(key) ?? []), message]);
      const parent = this.find(channel.id, threadTs);
      if (parent) {
        parent.thread_ts = parent.ts;
        parent.reply_count = (parent.reply_count ?? 0) + 1;
      }
    } else {
      this.topLevel.get(channel.id)!.push(message);
    }
    this.emit({ type: 'posted', message });
    const { channel: _c, ...shown } = message;
    return ok({ channel: channel.id, ts: message.ts, message: shown });
  }

  private update(args: Args): FakeResponse {
    // chat.update wants the channel id; names are not resolved.
    const channel = typeof args.channel === 'string' ? this.channels.get(args.channel) : undefined;
    if (!channel) return fail('channel_not_found');
    const message = this.find(channel.id, str(args.ts));
    if (!message) return fail('message_not_found');
    if (message.bot_id !== this.bot.botId) return fail('cant_update_message');
    const content = this.content(args);
    if ('status' in content) return content;
    message.text = content.text;
    if (content.blocks) message.blocks = content.blocks;
    else delete message.blocks;
    message.edited = { user: this.bot.userId, ts: this.nextTs() };
    this.emit({ type: 'updated', message });
    const { channel: _c, ts: _t, ...shown } = message;
    return ok({ channel: channel.id, ts: message.ts, text: message.text, message: shown });
  }

  /** A message as read back: without its metadata unless the caller asked for it. */
  private shown(message: FakeSlackMessage, withMetadata: boolean): Record<string, unknown> {
    const { channel: _c, metadata, ...rest } = message;
    return withMetadata && metadata ? { ...rest, metadata } : rest;
  }

  private readable(args: Args): FakeSlackChannel | FakeResponse {
    // Reads take the conversation id only; names are not resolved.
    const channel = typeof args.channel === 'string' ? this.channels.get(args.channel) : undefined;
    if (!channel) return fail('channel_not_found');
    if (channel.botIsMember === false) return fail('not_in_channel');
    return channel;
  }

  /** Page of `items` from a cursor, Slack-style (`has_more`, `response_metadata.next_cursor`). */
  private page(args: Args, items: FakeSlackMessage[], defaultLimit: number): Outcome | FakeResponse {
    const offset = readCursor(args.cursor);
    if (offset === undefined) return fail('invalid_cursor');
    const limit = Math.min(999, Math.max(1, Number(str(args.limit)) || defaultLimit));
    const slice = items.slice(offset, offset + limit);
    const more = offset + limit < items.length;
    const metadata = truthy(args.include_all_metadata);
    return {
      messages: slice.map((m) => this.shown(m, metadata)),
      has_more: more,
      response_metadata: { next_cursor: more ? cursorFor(offset + limit) : '' },
    };
  }

  /** Channels by cursor pages (`limit` default 100, at most 1000), as conversations.list lists them. */
  private list(args: Args): FakeResponse {
    const offset = readCursor(args.cursor);
    if (offset === undefined) return fail('invalid_cursor');
    const limit = Math.min(1000, Math.max(1, Number(str(args.limit)) || 100));
    const all = [...this.channels.values()];
    const slice = all.slice(offset, offset + limit);
    const more = offset + limit < all.length;
    return ok({
      channels: slice.map((c) => this.channelJson(c)),
      response_metadata: { next_cursor: more ? cursorFor(offset + limit) : '' },
    });
  }

  /** Top-level messages, newest first, within `oldest`/`latest` (exclusive unless `inclusive`). */
  private history(args: Args): FakeResponse {
    const channel = this.readable(args);
    if ('status' in channel) return channel;
    const inclusive = truthy(args.inclusive);
    const oldest = Number(str(args.oldest) || '0');
    const latest = str(args.latest) ? Number(str(args.latest)) : Infinity;
    const items = [...(this.topLevel.get(channel.id) ?? [])]
      .filter((m) => {
        const ts = Number(m.ts);
        return (inclusive ? ts >= oldest : ts > oldest) && (inclusive ? ts <= latest : ts < latest);
      })
      .reverse();
    const page = this.page(args, items, 100);
    return 'status' in page ? (page as FakeResponse) : ok({ ...page, pin_count: 0 });
  }

  /** The parent, then its replies oldest first. */
  private repliesOf(args: Args): FakeResponse {
    const channel = this.readable(args);
    if ('status' in channel) return channel;
    const ts = str(args.ts);
    if (!ts) return fail('invalid_arguments');
    const parent = this.find(channel.id, ts);
    if (!parent) return fail('thread_not_found');
    const root = parent.thread_ts ?? parent.ts;
    const top = this.find(channel.id, root);
    const items = [...(top ? [top] : []), ...(this.replies.get(`${channel.id}/${root}`) ?? [])];
    const page = this.page(args, items, 1000);
    return 'status' in page ? (page as FakeResponse) : ok(page);
  }

  /** The channel object of conversations.info / conversations.list (is_member: whether the bot is in it). */
  private channelJson(c: FakeSlackChannel): Record<string, unknown> {
    return {
      id: c.id,
      name: c.name ?? c.id.toLowerCase(),
      is_channel: true,
      is_private: false,
      is_archived: false,
      is_member: c.botIsMember !== false,
    };
  }

  /** conversations.info takes a channel id only: a name (`#releases`) is channel_not_found, as on Slack. */
  private conversationInfo(args: Args): FakeResponse {
    const channel = typeof args.channel === 'string' ? this.channels.get(args.channel) : undefined;
    return channel ? ok({ channel: this.channelJson(channel) }) : fail('channel_not_found');
  }

  /** conversations.list, one page (the fake holds few channels): public channels with the bot's membership. */
  /** users.info: the user object, or user_not_found. */
  private userInfo(args: Args): FakeResponse {
    const id = str(args.user);
    if (id === this.bot.userId)
      return ok({ user: { id, name: 'runway', deleted: false, is_bot: true, team_id: this.team.id } });
    const user = this.users.get(id);
    if (!user) return fail('user_not_found');
    return ok({ user: { deleted: false, is_bot: false, team_id: this.team.id, ...user } });
  }

  private postEphemeral(args: Args): FakeResponse {
    const channel = this.postable(args);
    if ('status' in channel) return channel;
    if (typeof args.user !== 'string' || args.user === '') return fail('user_not_found');
    if (channel.members && !channel.members.includes(args.user)) return fail('user_not_in_channel');
    const content = this.content(args);
    if ('status' in content) return content;
    const ephemeral: FakeSlackEphemeral = {
      channel: channel.id,
      user: args.user,
      text: content.text,
      ...(content.blocks ? { blocks: content.blocks } : {}),
      message_ts: this.nextTs(),
      ...(typeof args.thread_ts === 'string' ? { thread_ts: args.thread_ts } : {}),
    };
    this.ephemeralLog.push(ephemeral);
    this.emit({ type: 'ephemeral', ephemeral });
    return ok({ message_ts: ephemeral.message_ts });
  }
}

/** `metadata` of chat.postMessage: `{event_type, event_payload}`; anything else malformed is refused. */
function parseMetadata(value: unknown): FakeSlackMessage['metadata'] | undefined | 'invalid' {
  if (value === undefined || value === '') return undefined;
  const m = record(value);
  if (typeof m.event_type !== 'string' || m.event_type === '') return 'invalid';
  if (typeof m.event_payload !== 'object' || m.event_payload === null || Array.isArray(m.event_payload))
    return 'invalid';
  return { event_type: m.event_type, event_payload: { ...(m.event_payload as Record<string, unknown>) } };
}

/** Slack's opaque cursors; ours encode an offset. */
function readCursor(value: unknown): number | undefined {
  const raw = str(value);
  if (!raw) return 0;
  const m = /^offset:(\d+)$/.exec(Buffer.from(raw, 'base64').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

const cursorFor = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64');

/** Booleans arrive as `true`/`1` in forms and as JSON booleans in JSON bodies. */
const truthy = (value: unknown) => value === true || value === 'true' || value === '1' || value === 1;

/** Form bodies carry objects as JSON strings (web-api's serializer does this); JSON bodies carry them as is. */
function parseArgs(contentType: string, body: string): Args {
  if (contentType.startsWith('application/json')) {
    const parsed = JSON.parse(body || '{}') as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Args;
  }
  const args: Args = Object.fromEntries(new URLSearchParams(body));
  for (const field of JSON_FIELDS) {
    if (typeof args[field] === 'string') args[field] = JSON.parse(args[field]);
  }
  return args;
}
