// Slack notifier: one message per release, updated in place, with a thread of events under it.
// Retries are ours (bounded, Retry-After aware) rather than web-api's, whose default retries for ~30 minutes.
import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
} from '@slack/web-api';
import type { NotifierPort, ReleaseNotification } from '../ports.js';
import { buildReleaseMessage, buildThreadReply, type SlackBlock } from './slack-blocks.js';

export interface SlackLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface SlackOptions {
  /** Bot token (xoxb-…). Never appears in errors or logs. */
  token: string;
  /** Web API base, e.g. a fake's `http://127.0.0.1:PORT/api/`. Defaults to Slack's. */
  apiUrl?: string;
  defaultChannel?: string;
  /** Tries per call, including the first. Default 4. */
  maxAttempts?: number;
  /** Longest wait we honour from a Retry-After header (and the backoff ceiling). Default 30 s. */
  retryAfterCapMs?: number;
  /** First backoff for 5xx and network errors; doubles per attempt. Default 500 ms. */
  retryBaseMs?: number;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
  logger?: SlackLogger;
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

export interface SlackApi {
  postMessage(input: { channel: string; text: string; blocks?: SlackBlock[]; threadTs?: string }): Promise<MessageRef>;
  updateMessage(channel: string, ts: string, blocks: SlackBlock[], text: string): Promise<MessageRef>;
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
  const redact = (text: string): string =>
    (options.token ? text.split(options.token).join('[redacted]') : text).replace(
      /xox[a-z]-[A-Za-z0-9-]+/g,
      '[redacted]',
    );

  async function call<T>(method: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        const failure = classify(err);
        const message = redact(
          `slack ${method} failed (${failure.code}) after ${attempt} attempt(s): ${describe(err)}`,
        );
        if (PERMANENT_CODES.has(failure.code)) {
          throw new PermanentSlackError(message, method, failure.code, attempt);
        }
        if (!failure.retryable || attempt >= maxAttempts) {
          throw new SlackCallError(message, method, failure.code, attempt, failure.retryAfterMs);
        }
        const backoff = baseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
        const waitMs = Math.min(failure.retryAfterMs ?? backoff, capMs);
        options.logger?.warn({ method, code: failure.code, attempt, waitMs }, 'slack call failed, retrying');
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  return {
    async postMessage({ channel, text, blocks, threadTs }) {
      const res = await call('chat.postMessage', () =>
        client.chat.postMessage({ channel, text, blocks, thread_ts: threadTs, unfurl_links: false }),
      );
      return { channel: res.channel ?? channel, ts: String(res.ts) };
    },
    async updateMessage(channel, ts, blocks, text) {
      const res = await call('chat.update', () => client.chat.update({ channel, ts, text, blocks }));
      return { channel: res.channel ?? channel, ts: res.ts ?? ts };
    },
    async postEphemeral(channel, user, text) {
      const res = await call('chat.postEphemeral', () => client.chat.postEphemeral({ channel, user, text }));
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

export function createSlackNotifier(options: SlackOptions): SlackNotifier {
  const api = createSlackApi(options);

  // Used right after posting a top-level message: throwing there would make the activity retry and
  // post a second message, so a lost thread reply is only logged.
  async function replyBestEffort(ref: MessageRef, text: string): Promise<void> {
    try {
      await api.postMessage({ channel: ref.channel, threadTs: ref.ts, text });
    } catch (err) {
      options.logger?.warn(
        { ...ref, error: err instanceof Error ? err.message : String(err) },
        'slack thread reply lost',
      );
    }
  }

  async function publish(n: ReleaseNotification): Promise<{ messageRef: MessageRef }> {
    const { text, blocks } = buildReleaseMessage(n);
    if (!n.messageRef) {
      const channel = n.channel ?? options.defaultChannel;
      if (!channel)
        throw new PermanentSlackError('no Slack channel for this release', 'chat.postMessage', 'no_channel', 0);
      const ref = await api.postMessage({ channel, text, blocks });
      if (n.detail) await replyBestEffort(ref, buildThreadReply(n));
      return { messageRef: ref };
    }
    const ref = n.messageRef;
    try {
      await api.updateMessage(ref.channel, ref.ts, blocks, text);
    } catch (err) {
      if (!(err instanceof SlackCallError) || !REPOST_CODES.has(err.code)) throw err;
      options.logger?.warn({ ...ref, code: err.code }, 'release message cannot be updated; posting a new one');
      const fresh = await api.postMessage({ channel: ref.channel, text, blocks });
      await replyBestEffort(fresh, buildThreadReply(n));
      return { messageRef: fresh };
    }
    // Progress updates only refresh the message; a thread reply each would drown the thread.
    if (n.kind === 'progress') return { messageRef: ref };
    // The update already landed; a retry would only repeat it, so this reply may throw.
    await api.postMessage({ channel: ref.channel, threadTs: ref.ts, text: buildThreadReply(n) });
    return { messageRef: ref };
  }

  return { api, publish };
}
