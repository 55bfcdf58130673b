// Secrets never reach the logs: by key in logged objects, and inside error and log messages.
// Activity log lines carry the release they are about.
import { Writable } from 'node:stream';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logger.js';
import { releaseFieldsFromId, releaseLogger } from '../../platform/release-log.js';
import { scrubSecrets } from '../../platform/scrub.js';
import { withActivityLogging } from '../../platform/activity-logging.js';
import { temporalLogger } from '../../platform/temporal-logger.js';

type Json = Record<string, any>;

function capture(level = 'debug') {
  const lines: Json[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString());
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: createLogger('test', level, stream), lines, raw: () => raw.join('') };
}

const SECRETS = [
  'glpat-0123456789abcdef',
  'xoxb-1111-2222-abcdefghij',
  'hunter2-password',
  'whsec-signing',
  's3cr3t-hook',
];

describe('log redaction', () => {
  it('prints [redacted] for secret keys at any depth, headers included', () => {
    const { logger, lines, raw } = capture();
    logger.info(
      {
        token: SECRETS[0],
        headers: { authorization: `Bearer ${SECRETS[0]}`, 'x-gitlab-token': SECRETS[4], 'content-type': 'json' },
        req: { headers: { Authorization: 'Basic dXNlcjpwYXNz', cookie: 'session=abc' } },
        config: { slack: { botToken: SECRETS[1], signingSecret: SECRETS[3] }, gitlab: { webhookSecret: SECRETS[4] } },
        registry: { credentials: { password: SECRETS[2] } },
        service: 'payments',
      },
      'loaded',
    );
    const line = lines[0]!;
    expect(line.token).toBe('[redacted]');
    expect(line.headers).toEqual({
      authorization: '[redacted]',
      'x-gitlab-token': '[redacted]',
      'content-type': 'json',
    });
    expect(line.req.headers).toEqual({ Authorization: '[redacted]', cookie: '[redacted]' });
    expect(line.config.slack).toEqual({ botToken: '[redacted]', signingSecret: '[redacted]' });
    expect(line.config.gitlab.webhookSecret).toBe('[redacted]');
    expect(line.registry.credentials.password).toBe('[redacted]');
    expect(line.service).toBe('payments');
    for (const secret of SECRETS) expect(raw()).not.toContain(secret);
  });

  it('masks tokens inside error messages, stacks and the log message', () => {
    const { logger, raw, lines } = capture();
    const err = new Error(
      `GET https://gitlab.example.com/api/v4/projects?private_token=${SECRETS[0]} failed; ` +
        `Authorization: Bearer ${SECRETS[1]}; clone https://oauth2:${SECRETS[2]}@gitlab.example.com/infra.git`,
    );
    logger.error({ err }, 'call failed');
    logger.warn({ err: { name: 'HttpError', message: `slack said no to ${SECRETS[1]}` } }, 'plain error object');
    logger.warn(`retrying with token=${SECRETS[0]}`);
    for (const secret of SECRETS) expect(raw()).not.toContain(secret);
    expect(lines[0]!.err.message).toContain('private_token=[redacted]');
    expect(lines[0]!.err.message).toContain('https://[redacted]@gitlab.example.com');
    expect(lines[0]!.err.stack).not.toContain(SECRETS[0]);
    expect(lines[2]!.msg).toBe('retrying with token=[redacted]');
  });

  it('scrubSecrets leaves ordinary text alone', () => {
    const text = 'deploy payments to production: unknown token; health Degraded';
    expect(scrubSecrets(text)).toBe(text);
  });
});

describe('release fields', () => {
  it('reads releaseId, service and environment from workflow ids', () => {
    expect(releaseFieldsFromId('release/payments/0123abcd')).toEqual({
      releaseId: 'release/payments/0123abcd',
      service: 'payments',
    });
    expect(releaseFieldsFromId('rollback/payments/production/1700000000000')).toEqual({
      releaseId: 'rollback/payments/production/1700000000000',
      service: 'payments',
      environment: 'production',
    });
    expect(releaseFieldsFromId('service-lock/payments')).toEqual({ service: 'payments' });
    expect(releaseFieldsFromId('service-lock/payments/staging')).toEqual({
      service: 'payments',
      environment: 'staging',
    });
    expect(releaseFieldsFromId('something-else')).toEqual({});
  });

  it('a release child logger puts the fields on every line and leaves out unknown ones', () => {
    const { logger, lines } = capture();
    releaseLogger(logger, { releaseId: 'release/pay/abc', service: 'pay', environment: undefined }).info('hello');
    expect(lines[0]).toMatchObject({ releaseId: 'release/pay/abc', service: 'pay', msg: 'hello' });
    expect('environment' in lines[0]!).toBe(false);
  });

  it('activity calls are logged with the release (start at debug, failure at warn, no secrets), SDK lines too', async () => {
    const { logger, lines, raw } = capture();
    const activities = withActivityLogging(
      {
        async setImage(_input: { environment: string }) {
          throw new Error(`push refused for https://runway:${SECRETS[2]}@git.example.com/infra.git`);
        },
        async notify(_input: { timeline: { releaseId: string; service: string } }) {
          return { ok: true };
        },
      },
      logger,
    );
    const env = new MockActivityEnvironment(
      {
        workflowExecution: { workflowId: 'release/pay/0123abcd', runId: 'run-1' },
        activityType: 'setImage',
        attempt: 3,
      },
      { logger: temporalLogger(logger) },
    );
    await expect(env.run(activities.setImage, { environment: 'production' })).rejects.toThrow(/push refused/);
    const ours = lines.filter((l) => String(l.msg).startsWith('activity '));
    expect(ours.map((l) => [Number(l.level), String(l.msg)])).toEqual([
      [20, 'activity started'],
      [40, 'activity failed'],
    ]);
    // the SDK's own "Activity failed" line quotes the error: JSON, with the release, masked
    expect(lines.find((l) => l.msg === 'Activity failed')).toMatchObject({
      level: 40,
      releaseId: 'release/pay/0123abcd',
      service: 'pay',
      err: { message: expect.stringContaining('https://[redacted]@git.example.com') },
    });
    expect(ours[1]).toMatchObject({
      releaseId: 'release/pay/0123abcd',
      service: 'pay',
      environment: 'production',
      activity: 'setImage',
      attempt: 3,
    });
    expect(raw()).not.toContain(SECRETS[2]);

    // outside a workflow (here: no activity context) the fields come from the argument
    await activities.notify({ timeline: { releaseId: 'release/search/beef', service: 'search' } });
    expect(lines.at(-1)).toMatchObject({ releaseId: 'release/search/beef', service: 'search', activity: 'notify' });
  });
});
