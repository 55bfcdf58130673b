// No silent stand-ins: a real runway.yaml that lacks what its services need is refused at startup, one line per
// problem, before anything connects; `memory` is no infra driver; stand-ins only when a test hands them in.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../config/load.js';
import { apiStartupWarnings, missingIntegrations } from '../../config/requirements.js';
import { createMemoryWorld } from '../../fakes/memory-world.js';
import { assertIntegrations, buildDeps } from '../../worker/deps.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

const service = (infra = 'gitlab', extra = '') => `
services:
  payments:
    gitlab: { project: acme/payments }
    image: { repository: registry.example.com/acme/payments }
    infra: { driver: ${infra}, repository: acme/infra }
    environments:
      - name: staging
        manifest: { file: apps/payments/staging.yaml, kustomize: { image: registry.example.com/acme/payments } }
        argocd: { application: payments-staging }
${extra}`;

const complete = `
gitlab: { url: 'https://gitlab.example.com', token: t }
argocd: { url: 'https://argocd.example.com', token: t }
slack: { botToken: xoxb-t, defaultChannel: '#releases' }
${service()}`;

describe('startup refusal', () => {
  it('lists every missing integration, one line each', () => {
    const problems = missingIntegrations(parseConfig(service(), {}));
    expect(problems).toEqual([
      expect.stringMatching(/^gitlab: required: services payments are built and tracked in GitLab/),
      expect.stringMatching(/^argocd: required: services payments deploy through Argo CD/),
      expect.stringMatching(/^slack: required: release messages and approvals are posted to Slack/),
      'services.payments.infra.driver: "gitlab" needs the gitlab: section (url, token)',
    ]);
    expect(missingIntegrations(parseConfig(complete, {}))).toEqual([]);
    const noChannel = parseConfig(complete.replace(", defaultChannel: '#releases'", ''), {});
    expect(missingIntegrations(noChannel)).toEqual([
      'services.payments.notify.channel: required (or set slack.defaultChannel)',
    ]);
  });

  it('buildDeps refuses instead of standing in; stand-ins only when handed in explicitly', () => {
    const bare = parseConfig(service('git'), {});
    const temporal = {} as Client;
    expect(() => buildDeps(bare, temporal)).toThrow(ConfigError);
    try {
      buildDeps(bare, temporal);
    } catch (err) {
      expect((err as ConfigError).problems).toHaveLength(3);
    }
    const world = createMemoryWorld();
    const deps = buildDeps(bare, temporal, { ...world.ports });
    expect(deps.argocd).toBe(world.ports.argocd);
    expect(deps.gitlab).toBe(world.ports.gitlab);
    expect(() => assertIntegrations(parseConfig(complete, {}))).not.toThrow();
    // With a real config, the real clients: nothing of the memory world.
    const real = buildDeps(parseConfig(complete, {}), temporal);
    expect(real.argocd).not.toBe(world.ports.argocd);
  });

  it('the API warns about what it will not do', () => {
    expect(apiStartupWarnings(parseConfig(service(), {}))).toEqual([
      'gitlab: not configured: webhooks are refused (401) and no merge catch-up runs',
      'api.tokens: none: the REST API refuses every call (401)',
    ]);
    const gated = parseConfig(
      complete +
        "\n        approval: { channel: '#prod', approvers: [U1] }\napi: { tokens: [{ name: ci, token: x, roles: [read] }] }",
      {},
    );
    expect(apiStartupWarnings(gated)).toEqual([
      'gitlab.webhookSecret: not set: every webhook is refused (401); only the merge catch-up starts releases',
      'slack.signingSecret: not set: approval buttons and /runway are off (approve over REST)',
    ]);
  });

  it('memory is not a driver a real config can name', () => {
    expect(() => parseConfig(service('memory'), {})).toThrow(
      /services\.payments\.infra\.driver: must be gitlab or git \(memory is a test stand-in, not a driver\)/,
    );
  });

  it('approvers are ids: a username with @ or spaces is refused', () => {
    const gate = (approvers: string) => `
        approval: { channel: '#prod', approvers: [${approvers}] }`;
    expect(() => parseConfig(service('git', gate("'@alice'")), {})).toThrow(/approvers\[0\]: a Slack user id/);
    expect(() => parseConfig(service('git', gate("'Alice Smith'")), {})).toThrow(/a Slack user id/);
    expect(parseConfig(service('git', gate('U0123ABCD, ci-bot')), {}).services.payments).toBeDefined();
  });

  it('the worker process exits at once with one line per problem, without contacting Temporal', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'runway-refusal-'));
    const file = path.join(dir, 'runway.yaml');
    // A Temporal address nobody listens on: the refusal must come before any connection attempt.
    writeFileSync(file, `temporal: { address: '127.0.0.1:1' }\n${service()}`);
    const started = Date.now();
    const failure = await run('node', ['--import', 'tsx', 'worker/main.ts'], {
      cwd: root,
      env: { ...process.env, RUNWAY_CONFIG: file, LOG_LEVEL: 'silent' },
      timeout: 30_000,
    }).then(
      () => undefined,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(failure?.code).toBe(1);
    const lines = failure!.stderr!.split('\n').filter((l) => l.startsWith('  - '));
    expect(lines).toEqual([
      expect.stringContaining('gitlab: required'),
      expect.stringContaining('argocd: required'),
      expect.stringContaining('slack: required'),
      expect.stringContaining('services.payments.infra.driver'),
    ]);
    expect(failure!.stderr).not.toMatch(/7233|127\.0\.0\.1:1|connect/i);
    expect(Date.now() - started).toBeLessThan(25_000);
  }, 40_000);

  // Only `make dev` may fall back to the sandbox: its config has a public API token (sandbox-token).
  for (const [name, entry] of [
    ['worker', 'worker/main.ts'],
    ['API', 'api/main.ts'],
    ['runway check', 'cli/check.ts'],
  ] as const) {
    it(`the ${name} without runway.yaml refuses to start, saying where it looked, instead of running the sandbox`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'runway-nocfg-'));
      const tsx = path.join(root, 'node_modules/tsx/dist/esm/index.mjs');
      const started = Date.now();
      const outcome = await run('node', ['--import', tsx, path.join(root, entry)], {
        cwd: dir,
        // Were the sandbox to start, the API would listen and never exit: the timeout kills it (no exit code).
        env: { ...process.env, RUNWAY_CONFIG: '', LOG_LEVEL: 'silent' },
        timeout: 30_000,
      }).then(
        (ok) => ({ code: 0, stderr: ok.stderr, stdout: ok.stdout }),
        (err: { code?: number; stderr?: string; stdout?: string }) => err,
      );
      expect(outcome.code, outcome.stdout).not.toBe(0);
      expect(typeof outcome.code).toBe('number');
      expect(outcome.stderr).toContain('RUNWAY_CONFIG is unset');
      expect(outcome.stderr).toContain(`${dir}/runway.yaml does not exist`);
      expect(outcome.stderr).toContain('the sandbox runs only with `make dev`');
      expect(`${outcome.stdout}${outcome.stderr}`).not.toMatch(/sandbox-token|listening/);
      expect(Date.now() - started).toBeLessThan(25_000);
    }, 40_000);
  }
});
