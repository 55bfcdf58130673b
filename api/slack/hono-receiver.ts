// A Bolt Receiver that takes its requests from Hono routes instead of its own HTTP server: verify the signature,
// parse the body, hand Bolt a ReceiverEvent, and answer Slack as soon as a listener acks. The listener's follow-up
// work keeps running after the response is sent, which is what Slack's 3-second rule asks for.
import { ReceiverMultipleAckError, type App, type Receiver, type ReceiverEvent } from '@slack/bolt';
import type { Context } from 'hono';
import type { Logger } from 'pino';
import { errorBody } from '../errors.js';
import { parseSlackBody, UnreadableBodyError, type SlackBody } from './parse-body.js';
import { signatureProblem } from './signature.js';

export interface HonoReceiverOptions {
  signingSecret: string;
  logger: Logger;
  /** Clock for the replay window; tests pin it. */
  now?: () => number;
  /** Answer 200 after this long without an ack, before Slack gives up (3 s) and shows the user an error. */
  ackTimeoutMs?: number;
}

const DEFAULT_ACK_TIMEOUT_MS = 2_500;

/** What an ack() argument becomes on the wire: nothing, text, or JSON (Bolt's HTTP receiver does the same). */
function ackResponse(body: unknown): Response {
  if (body === undefined || body === null || body === '') return new Response(null, { status: 200 });
  if (typeof body === 'string') return new Response(body, { status: 200, headers: { 'content-type': 'text/plain' } });
  return Response.json(body, { status: 200 });
}

function retryNum(header: string | undefined): number | undefined {
  const n = header === undefined ? NaN : Number.parseInt(header, 10);
  return Number.isNaN(n) ? undefined : n;
}

export class HonoReceiver implements Receiver {
  private app?: App;
  private readonly now: () => number;
  private readonly ackTimeoutMs: number;

  constructor(private readonly options: HonoReceiverOptions) {
    this.now = options.now ?? Date.now;
    this.ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
  }

  init(app: App): void {
    this.app = app;
  }

  // Hono owns the server, so there is nothing to start or stop.
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  /** The Hono handler for every Slack route. */
  async handle(c: Context): Promise<Response> {
    const { logger } = this.options;
    const raw = await c.req.text();
    const problem = signatureProblem(
      this.options.signingSecret,
      raw,
      { signature: c.req.header('x-slack-signature'), timestamp: c.req.header('x-slack-request-timestamp') },
      this.now(),
    );
    if (problem) {
      logger.warn({ path: c.req.path, reason: problem }, 'slack request refused');
      return c.json(errorBody('invalid_signature', 'request signature could not be verified'), 401);
    }

    let body: SlackBody;
    try {
      body = parseSlackBody(raw, c.req.header('content-type'));
    } catch (err) {
      if (!(err instanceof UnreadableBodyError)) throw err;
      return c.json(errorBody('invalid_request', `unreadable Slack request: ${err.message}`), 400);
    }
    if (body.ssl_check) return c.body(null, 200);
    if (body.type === 'url_verification') return c.json({ challenge: body.challenge });

    return this.dispatch(body, c.req.header('x-slack-retry-num'), c.req.header('x-slack-retry-reason'));
  }

  private dispatch(body: SlackBody, retryHeader?: string, retryReason?: string): Promise<Response> {
    const { logger } = this.options;
    const app = this.app;
    if (!app) throw new Error('HonoReceiver used before a Bolt App was attached');
    return new Promise<Response>((resolve) => {
      let acked = false;
      let answered = false;
      const answer = (response: Response) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        resolve(response);
      };
      // Slack retries (and shows an error) when it hears nothing; an empty 200 is the lesser evil.
      const timer = setTimeout(() => {
        logger.warn({ type: body.type }, 'slack request not acknowledged in time; answered 200');
        answer(ackResponse(undefined));
      }, this.ackTimeoutMs);

      const event: ReceiverEvent = {
        body,
        retryNum: retryNum(retryHeader),
        retryReason,
        ack: async (response?: unknown) => {
          if (acked) throw new ReceiverMultipleAckError();
          acked = true;
          if (answered) logger.warn({ type: body.type }, 'slack ack came after the response was sent');
          answer(ackResponse(response));
        },
      };
      app
        .processEvent(event)
        .catch((err: unknown) => {
          logger.error(
            { err: err instanceof Error ? { name: err.name, message: err.message } : String(err) },
            'slack event failed',
          );
        })
        .finally(() => {
          // Nothing acked (no listener matched, or it failed first): no reason to keep Slack waiting.
          if (!acked && !answered) logger.warn({ type: body.type }, 'slack request had no listener ack');
          answer(ackResponse(undefined));
        });
    });
  }
}
