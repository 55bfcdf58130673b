import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ReceiverMultipleAckError, type App, type ReceiverEvent } from '@slack/bolt';
import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { HonoReceiver } from '../../api/slack/hono-receiver.js';
import { parseSlackBody } from '../../api/slack/parse-body.js';
import { signatureProblem } from '../../api/slack/signature.js';

// Slack payloads in their documented shapes (test/fixtures/README.md says where each comes from).
const fixtureText = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const vector = JSON.parse(fixtureText('slack-signature-vector.json')) as {
  signingSecret: string;
  body: string;
  headers: Record<string, string>;
};
const VECTOR_NOW = Number(vector.headers['X-Slack-Request-Timestamp']) * 1000;
const SECRET = 'unit-test-signing-secret';
const NOW = 1_750_000_000_000;
const FORM = 'application/x-www-form-urlencoded';

function sign(body: string, ts: number, secret = SECRET): Record<string, string> {
  const hex = createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${hex}`, 'x-slack-request-timestamp': String(ts) };
}

function setup(
  processEvent: (event: ReceiverEvent) => Promise<void>,
  opts: { secret?: string; now?: number; ackTimeoutMs?: number } = {},
) {
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const receiver = new HonoReceiver({
    signingSecret: opts.secret ?? SECRET,
    logger,
    now: () => opts.now ?? NOW,
    ackTimeoutMs: opts.ackTimeoutMs,
  });
  const spy = vi.fn(processEvent);
  receiver.init({ processEvent: spy } as unknown as App);
  const app = new Hono().post('/slack', (c) => receiver.handle(c));
  const post = (body: string, headers: Record<string, string>) =>
    app.request('/slack', { method: 'POST', body, headers });
  return { post, spy, logs };
}

const signedPost = (s: ReturnType<typeof setup>, body: string, contentType = FORM, ts = NOW / 1000) =>
  s.post(body, { 'content-type': contentType, ...sign(body, ts) });

describe('signatureProblem', () => {
  const headers = {
    signature: vector.headers['X-Slack-Signature'],
    timestamp: vector.headers['X-Slack-Request-Timestamp'],
  };

  it("accepts Slack's published vector at its own time and up to five minutes later", () => {
    expect(signatureProblem(vector.signingSecret, vector.body, headers, VECTOR_NOW)).toBeUndefined();
    expect(signatureProblem(vector.signingSecret, vector.body, headers, VECTOR_NOW + 299_000)).toBeUndefined();
  });

  it('refuses stale, far-future, forged, tampered and header-less requests', () => {
    const problem = (h: { signature?: string; timestamp?: string }, body = vector.body, now = VECTOR_NOW) =>
      signatureProblem(vector.signingSecret, body, { signature: h.signature, timestamp: h.timestamp }, now);
    expect(problem(headers, vector.body, VECTOR_NOW + 301_000)).toMatch(/stale/);
    expect(problem(headers, vector.body, VECTOR_NOW - 301_000)).toMatch(/future/);
    expect(problem({ ...headers, signature: headers.signature!.replace(/.$/, '0') })).toMatch(/signature mismatch/);
    expect(problem(headers, `${vector.body}&text=deploy`)).toMatch(/signature mismatch/);
    expect(problem({ ...headers, signature: headers.signature!.replace('v0=', 'v1=') })).toMatch(/version/);
    expect(problem({ timestamp: headers.timestamp })).toMatch(/missing/);
    expect(problem({ ...headers, timestamp: '15e8' })).toMatch(/malformed/);
    expect(signatureProblem('another-secret', vector.body, headers, VECTOR_NOW)).toMatch(/signature mismatch/);
  });
});

describe('parseSlackBody', () => {
  it('reads interactions from the payload field, commands from form fields, anything else as JSON', () => {
    const payload = JSON.parse(fixtureText('slack-block-actions.json'));
    const form = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    expect(parseSlackBody(form, FORM)).toEqual(payload);
    expect(parseSlackBody(form, `${FORM}; charset=utf-8`)).toEqual(payload);
    expect(parseSlackBody(vector.body, FORM)).toMatchObject({
      command: '/webhook-collect',
      text: '',
      user_id: 'U2CERLKJA',
    });
    expect(parseSlackBody('{"type":"url_verification","challenge":"c"}', 'application/json')).toMatchObject({
      challenge: 'c',
    });
    expect(() => parseSlackBody('payload=%7Bnope', FORM)).toThrow(/JSON/);
    expect(() => parseSlackBody('[1]', 'application/json')).toThrow(/object/);
  });
});

describe('HonoReceiver', () => {
  it("verifies Slack's vector with an injected clock and hands Bolt the parsed command", async () => {
    const s = setup(async (e) => e.ack(), { secret: vector.signingSecret, now: VECTOR_NOW });
    const res = await s.post(vector.body, {
      'content-type': FORM,
      'x-slack-signature': vector.headers['X-Slack-Signature']!,
      'x-slack-request-timestamp': vector.headers['X-Slack-Request-Timestamp']!,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(s.spy).toHaveBeenCalledOnce();
    expect(s.spy.mock.calls[0]![0].body).toMatchObject({ command: '/webhook-collect', user_name: 'roadrunner' });
  });

  it('answers 401 without details to stale, forged or unsigned requests, and never reaches Bolt', async () => {
    const s = setup(async (e) => e.ack());
    const body = 'command=%2Frunway&text=approve+payments+production&user_id=U1';
    const responses = [
      await signedPost(s, body, FORM, NOW / 1000 - 301),
      await s.post(body, { 'content-type': FORM, ...sign(body, NOW / 1000, 'guessed-secret') }),
      await s.post(body.replace('U1', 'U2'), { 'content-type': FORM, ...sign(body, NOW / 1000) }),
      await s.post(body, { 'content-type': FORM }),
    ];
    for (const res of responses) {
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({
        error: { code: 'invalid_signature', message: 'request signature could not be verified' },
      });
      expect(text).not.toContain(SECRET);
    }
    expect(s.spy).not.toHaveBeenCalled();
    expect(s.logs.join('')).not.toContain(SECRET);
    expect(s.logs.join('')).toMatch(/stale/);
  });

  it('answers url_verification and ssl_check itself', async () => {
    const s = setup(async (e) => e.ack());
    const challenge = await signedPost(s, '{"type":"url_verification","challenge":"abc123"}', 'application/json');
    expect(await challenge.json()).toEqual({ challenge: 'abc123' });
    const ssl = await signedPost(s, 'ssl_check=1&token=x');
    expect(ssl.status).toBe(200);
    expect(await ssl.text()).toBe('');
    expect(s.spy).not.toHaveBeenCalled();
  });

  it('refuses a signed but unreadable body with 400', async () => {
    const s = setup(async (e) => e.ack());
    const res = await signedPost(s, 'payload=%7Bnot-json');
    expect(res.status).toBe(400);
    expect(s.spy).not.toHaveBeenCalled();
  });

  it('sends the ack body (JSON or text) as soon as the listener acks, while its follow-up work goes on', async () => {
    let finish!: () => void;
    const followUp = new Promise<void>((resolve) => (finish = resolve));
    const s = setup(async (e) => {
      await e.ack({ response_type: 'ephemeral', text: 'working…' });
      await followUp;
    });
    const payload = fixtureText('slack-block-actions.json');
    const res = await signedPost(s, new URLSearchParams({ payload }).toString());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/json/);
    expect(await res.json()).toEqual({ response_type: 'ephemeral', text: 'working…' });
    expect(s.spy.mock.calls[0]![0].body).toMatchObject({ type: 'block_actions', user: { id: 'U04ABCD1234' } });
    finish();

    const t = setup(async (e) => e.ack('plain words'));
    const text = await signedPost(t, 'command=%2Frunway&text=help');
    expect(await text.text()).toBe('plain words');
  });

  it('passes Slack retry headers through and refuses a second ack', async () => {
    let second: unknown;
    const s = setup(async (e) => {
      await e.ack();
      second = await e.ack().catch((err: unknown) => err);
    });
    const body = 'command=%2Frunway&text=help';
    await s.post(body, {
      'content-type': FORM,
      ...sign(body, NOW / 1000),
      'x-slack-retry-num': '2',
      'x-slack-retry-reason': 'http_timeout',
    });
    expect(s.spy.mock.calls[0]![0]).toMatchObject({ retryNum: 2, retryReason: 'http_timeout' });
    await vi.waitFor(() => expect(second).toBeInstanceOf(ReceiverMultipleAckError));
  });

  it('answers 200 empty when nothing acks in time', async () => {
    const s = setup(() => new Promise<void>(() => undefined), { ackTimeoutMs: 50 });
    const started = Date.now();
    const res = await signedPost(s, 'command=%2Frunway&text=help');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(s.logs.join('')).toMatch(/not acknowledged in time/);
  });

  it('logs a failing event and still answers 200, so the server keeps serving', async () => {
    const s = setup(async () => {
      throw new Error('listener exploded');
    });
    const res = await signedPost(s, 'command=%2Frunway&text=help');
    expect(res.status).toBe(200);
    expect(s.logs.join('')).toMatch(/listener exploded/);
    const again = await signedPost(s, 'command=%2Frunway&text=help');
    expect(again.status).toBe(200);
  });
});
