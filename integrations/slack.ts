// Slack notifier: one message per release, updated in place, with a thread of events under it.
// Exactly once: every message carries Slack message metadata naming its release (and, for thread replies, the
// event). When an earlier attempt may have posted without hearing back (a retry, a worker lost mid-task: the
// caller says so with `lookFirst`), we look for its copy first (conversations.history / conversations.replies
// with include_all_metadata, Tier 3: ~50 calls a minute per workspace, so never on a first attempt). Retries:
// web-api's own are off; chat.postMessage and chat.postEphemeral are never re-sent in-process (a lost reply would
// duplicate them): the activity retry, told Slack's Retry-After, looks first. Every call is paced inside Slack's
// rate limits (slack-pacing.ts), and a 429 pauses that method for the whole process.
import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
} from '@slack/web-api';
import type { NotifierPort, PublishOptions, ReleaseNotification } from '../activities/ports.js';
import type { KnownBlock } from '@slack/types';
import { buildReleaseMessage, buildThreadReply } from './slack-blocks.js';
import { SlackPacer } from './slack-pacing.js';
import { redactSecrets } from '../platform/scrub.js';

export interface SlackLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface SlackOptions {
  /** Bot token (xoxb-…). Never appears in errors or logs. */
  token: string;
  /** Web API base, e.g. a fake's `http://127.0.0.1:PORT/api/`. Defaults to Slack's. */
  apiUrl?: string;
  defaultChannel?: string;
  /** Tries per idempotent call (reads, chat.update), including the first. Default 4. Posts are tried once. */
  maxAttempts?: number;
  /** Longest wait we honour from a Retry-After header (and the backoff ceiling). Default 30 s. */
  retryAfterCapMs?: number;
  /** First backoff for 5xx and network errors; doubles per attempt. Default 500 ms. */
  retryBaseMs?: number;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
  logger?: SlackLogger;
  /** Paces calls inside Slack's rate limits; one per process, shared by every client. */
  pacer?: SlackPacer;
}

export interface MessageRef {
  channel: string;
  ts: string;
}

/** A Slack call that failed after our retries, or was not worth retrying. */
export class SlackCallError extends Error {
  override name = 'SlackCallError';
  constructor(
    message: string,
    readonly method: string,
    /** Slack's `error` code (`message_not_found`), `http_<status>`, `rate_limited` or `request_failed`. */
    readonly code: string,
    readonly attempts: number,
    /** Set when the last failure was a 429: how long Slack asked us to wait. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Configuration or permission problems that no retry will fix. */
export class PermanentSlackError extends SlackCallError {
  override name = 'PermanentSlackError';
}

const PERMANENT_CODES = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'missing_scope',
  'invalid_blocks',
  'invalid_blocks_format',
  'no_channel',
]);
// ok:false codes that mean "Slack had a bad moment", per Slack's generic error list.
const TRANSIENT_CODES = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);
/** chat.update failures after which we post a fresh message instead. */
const REPOST_CODES = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);

export interface SlackMetadata {
  event_type: string;
  event_payload: Record<string, string>;
}

export interface SlackReadMessage {
  ts: string;
  threadTs?: string;
  metadata?: SlackMetadata;
}

export interface SlackApi {
  postMessage(input: {
    channel: string;
    text: string;
    blocks?: KnownBlock[];
    threadTs?: string;
    metadata?: SlackMetadata;
  }): Promise<MessageRef>;
  /** Top-level messages of a conversation (id), newest first, with their metadata; at most `maxMessages`. */
  history(channel: string, maxMessages: number): Promise<SlackReadMessage[]>;
  /** A channel's id from its name (`#releases` or `releases`), via conversations.list; undefined when unknown. */
  channelId(name: string): Promise<string | undefined>;
  /** The thread under `ts` (parent first), with metadata. */
  replies(channel: string, ts: string): Promise<SlackReadMessage[]>;
  updateMessage(channel: string, ts: string, blocks: KnownBlock[], text: string): Promise<MessageRef>;
  postEphemeral(channel: string, user: string, text: string): Promise<{ messageTs?: string }>;
  authTest(): Promise<{ userId?: string; botId?: string; teamId?: string }>;
}

interface Failure {
  code: string;
  retryable: boolean;
  retryAfterMs?: number;
}

function classify(err: unknown): Failure {
  if (err instanceof WebAPIRateLimitedError) {
    return { code: 'rate_limited', retryable: true, retryAfterMs: err.retryAfter * 1000 };
  }
  if (err instanceof WebAPIPlatformError) {
    const code = String(err.data.error);
    return { code, retryable: TRANSIENT_CODES.has(code) };
  }
  if (err instanceof WebAPIHTTPError) {
    return { code: `http_${err.statusCode}`, retryable: err.statusCode >= 500 || err.statusCode === 408 };
  }
  if (err instanceof WebAPIRequestError) return { code: 'request_failed', retryable: true };
  return { code: 'unexpected', retryable: false };
}

function describe(err: unknown): string {
  if (err instanceof WebAPIRequestError) return err.original.message;
  return err instanceof Error ? err.message : String(err);
}

export function createSlackApi(options: SlackOptions): SlackApi {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const capMs = options.retryAfterCapMs ?? 30_000;
  const baseMs = options.retryBaseMs ?? 500;
  const client = new WebClient(options.token, {
    slackApiUrl: options.apiUrl,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: options.timeoutMs ?? 10_000,
    logLevel: LogLevel.ERROR,
  });
  // Belt and braces: nothing we build contains the token, but a library message might one day.
  const redact = (text: string): string => redactSecrets(text, [options.token]);

  const pacer = options.pacer ?? new SlackPacer();

  /**
   * One Web API call, paced, with retries for idempotent calls. A post is never re-sent here, not even after a
   * 429 (a proxy may have lost the answer to a post Slack made): the activity retry looks before it posts.
   */
  async function call<T>(method: string, run: () => Promise<T>, idempotent = true, channel?: string): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        await pacer.turn(method, channel);
        return await run();
      } catch (err) {
        const failure = classify(err);
        // Everyone in this process waits with us; a longer wait is the activity retry's (told retryAfterMs).
        if (failure.retryAfterMs !== undefined) pacer.pause(method, Math.min(failure.retryAfterMs, capMs), channel);
        const attempts = idempotent ? maxAttempts : 1;
        const message = redact(
          `slack ${method} failed (${failure.code}) after ${attempt} attempt(s): ${describe(err)}`,
        );
        if (PERMANENT_CODES.has(failure.code)) {
          throw new PermanentSlackError(message, method, failure.code, attempt);
        }
        if (!failure.retryable || attempt >= attempts) {
          throw new SlackCallError(message, method, failure.code, attempt, failure.retryAfterMs);
        }
        const backoff = baseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
        const waitMs = Math.min(failure.retryAfterMs ?? backoff, capMs);
        options.logger?.warn({ method, code: failure.code, attempt, waitMs }, 'slack call failed, retrying');
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  const readMessage = (m: Record<string, unknown>): SlackReadMessage => {
    const metadata = m.metadata as SlackMetadata | undefined;
    return {
      ts: String(m.ts),
      ...(typeof m.thread_ts === 'string' ? { threadTs: m.thread_ts } : {}),
      ...(metadata?.event_type ? { metadata } : {}),
    };
  };

  return {
    async postMessage({ channel, text, blocks, threadTs, metadata }) {
      const res = await call(
        'chat.postMessage',
        () =>
          client.chat.postMessage({
            channel,
            text,
            blocks,
            thread_ts: threadTs,
            unfurl_links: false,
            ...(metadata ? { metadata } : {}),
          }),
        false,
        channel,
      );
      return { channel: res.channel ?? channel, ts: String(res.ts) };
    },
    async history(channel, maxMessages) {
      const found: SlackReadMessage[] = [];
      let cursor: string | undefined;
      do {
        const res = await call('conversations.history', () =>
          client.conversations.history({
            channel,
            limit: Math.min(200, maxMessages - found.length),
            include_all_metadata: true,
            ...(cursor ? { cursor } : {}),
          }),
        );
        for (const m of res.messages ?? []) found.push(readMessage(m as Record<string, unknown>));
        cursor = res.has_more ? res.response_metadata?.next_cursor || undefined : undefined;
      } while (cursor && found.length < maxMessages);
      return found;
    },
    async channelId(name) {
      const wanted = name.replace(/^#/, '');
      let cursor: string | undefined;
      // Bounded: 20 pages of 1000 channels.
      for (let page = 0; page < 20; page++) {
        const res = await call('conversations.list', () =>
          client.conversations.list({
            limit: 1000,
            exclude_archived: true,
            types: 'public_channel,private_channel',
            ...(cursor ? { cursor } : {}),
          }),
        );
        const found = res.channels?.find((c) => c.name === wanted);
        if (found?.id) return found.id;
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
      return undefined;
    },
    async replies(channel, ts) {
      const found: SlackReadMessage[] = [];
      let cursor: string | undefined;
      // A release's thread holds a dozen replies; the bound only guards against a runaway thread.
      for (let page = 0; page < 10; page++) {
        const res = await call('conversations.replies', () =>
          client.conversations.replies({
            channel,
            ts,
            limit: 200,
            include_all_metadata: true,
            ...(cursor ? { cursor } : {}),
          }),
        );
        for (const m of res.messages ?? []) found.push(readMessage(m as Record<string, unknown>));
        cursor = res.has_more ? res.response_metadata?.next_cursor || undefined : undefined;
        if (!cursor) break;
      }
      return found;
    },
    async updateMessage(channel, ts, blocks, text) {
      const res = await call('chat.update', () => client.chat.update({ channel, ts, text, blocks }));
      return { channel: res.channel ?? channel, ts: res.ts ?? ts };
    },
    async postEphemeral(channel, user, text) {
      const res = await call('chat.postEphemeral', () => client.chat.postEphemeral({ channel, user, text }), false);
      return { messageTs: res.message_ts };
    },
    async authTest() {
      const res = await call('auth.test', () => client.auth.test());
      return { userId: res.user_id, botId: res.bot_id, teamId: res.team_id };
    },
  };
}

export interface SlackNotifier extends NotifierPort {
  readonly api: SlackApi;
}

/** Metadata event types Runway posts: the release's message, and one event in its thread. */
export const RELEASE_MESSAGE_EVENT = 'runway_release';
export const RELEASE_EVENT_REPLY = 'runway_release_event';
/** How far back in a channel we look for a release's message an earlier attempt posted. */
const HISTORY_SCAN = 400;

/** Conversation ids (C…, G…, D…): the only form conversations.history takes. */
const isConversationId = (channel: string) => /^[CGD][A-Z0-9]{2,}$/.test(channel);

/** Identifies one notification within its release's thread: kinds are unique per environment. */
export function notificationKey(n: ReleaseNotification): string {
  return n.environment ? `${n.kind}:${n.environment}` : n.kind;
}

export function createSlackNotifier(options: SlackOptions): SlackNotifier {
  const api = createSlackApi(options);

  // Channel names resolve to ids once per process (conversations.history takes ids only).
  const channelIds = new Map<string, string>();
  async function conversationId(channel: string): Promise<string | undefined> {
    if (isConversationId(channel)) return channel;
    const cached = channelIds.get(channel);
    if (cached) return cached;
    const id = await api.channelId(channel);
    if (id) channelIds.set(channel, id);
    return id;
  }

  /** The release's newest top-level message in `channel`, posted by an attempt whose reply was lost. */
  async function findReleaseMessage(channel: string, releaseId: string): Promise<MessageRef | undefined> {
    const id = await conversationId(channel);
    // Not listed (e.g. a private channel without groups:read): chat.postMessage will say what is wrong.
    if (!id) return undefined;
    const messages = await api.history(id, HISTORY_SCAN);
    const found = messages.find(
      (m) => m.metadata?.event_type === RELEASE_MESSAGE_EVENT && m.metadata.event_payload.release_id === releaseId,
    );
    return found ? { channel: id, ts: found.ts } : undefined;
  }

  async function postReleaseMessage(channel: string, n: ReleaseNotification, lookFirst: boolean): Promise<MessageRef> {
    const { text, blocks } = buildReleaseMessage(n);
    const existing = lookFirst ? await findReleaseMessage(channel, n.timeline.releaseId) : undefined;
    if (existing) {
      await api.updateMessage(existing.channel, existing.ts, blocks, text);
      return existing;
    }
    return api.postMessage({
      channel,
      text,
      blocks,
      metadata: { event_type: RELEASE_MESSAGE_EVENT, event_payload: { release_id: n.timeline.releaseId } },
    });
  }

  /** Posts this notification's thread reply unless an earlier attempt already did. */
  async function replyOnce(ref: MessageRef, n: ReleaseNotification, lookFirst: boolean): Promise<void> {
    const key = notificationKey(n);
    const thread = lookFirst ? await api.replies(ref.channel, ref.ts) : [];
    const already = thread.some(
      (m) =>
        m.ts !== ref.ts &&
        m.metadata?.event_type === RELEASE_EVENT_REPLY &&
        m.metadata.event_payload.release_id === n.timeline.releaseId &&
        m.metadata.event_payload.event === key,
    );
    if (already) return;
    await api.postMessage({
      channel: ref.channel,
      threadTs: ref.ts,
      text: buildThreadReply(n),
      metadata: { event_type: RELEASE_EVENT_REPLY, event_payload: { release_id: n.timeline.releaseId, event: key } },
    });
  }

  /** `lookFirst` (default true): an earlier attempt may have posted; find its copy instead of posting again. */
  async function publish(
    n: ReleaseNotification,
    { lookFirst = true }: PublishOptions = {},
  ): Promise<{ messageRef: MessageRef }> {
    if (!n.messageRef) {
      const channel = n.channel ?? options.defaultChannel;
      if (!channel)
        throw new PermanentSlackError('no Slack channel for this release', 'chat.postMessage', 'no_channel', 0);
      const ref = await postReleaseMessage(channel, n, lookFirst);
      if (n.detail) await replyOnce(ref, n, lookFirst);
      return { messageRef: ref };
    }
    const { text, blocks } = buildReleaseMessage(n);
    let ref = n.messageRef;
    try {
      await api.updateMessage(ref.channel, ref.ts, blocks, text);
    } catch (err) {
      if (!(err instanceof SlackCallError) || !REPOST_CODES.has(err.code)) throw err;
      options.logger?.warn({ ...ref, code: err.code }, 'release message cannot be updated; posting a new one');
      ref = await postReleaseMessage(ref.channel, n, lookFirst);
    }
    // Progress updates only refresh the message; a thread reply each would drown the thread.
    if (!n.updateOnly && n.kind !== 'progress') await replyOnce(ref, n, lookFirst);
    return { messageRef: ref };
  }

  return { api, publish };
}
