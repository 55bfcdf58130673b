import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../config/load.js';
import { buildReleasePlan, InvalidTriggerError, renderTag, UnknownServiceError } from '../../config/plan.js';
import { parseDuration } from '../../config/duration.js';
import { renderJsonSchema, SCHEMA_PATH } from '../../config/json-schema.js';
import { SANDBOX_CONFIG_PATH } from '../../config/runtime.js';

const example = readFileSync(new URL('../../config/runway.example.yaml', import.meta.url), 'utf8');
const secrets = {
  GITLAB_TOKEN: 'glpat-secret-123',
  GITLAB_WEBHOOK_SECRET: 'hook-secret',
  ARGOCD_TOKEN: 'argo-secret',
  SLACK_BOT_TOKEN: 'xoxb-secret',
  SLACK_SIGNING_SECRET: 'signing-secret',
  REGISTRY_TOKEN: 'registry-secret',
};

function problems(text: string, env: NodeJS.ProcessEnv = secrets): string[] {
  try {
    parseConfig(text, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}

describe('config', () => {
  it('accepts the annotated example and the sandbox, filling defaults and env vars', () => {
    const config = parseConfig(example, secrets);
    expect(config.gitlab?.token).toBe('glpat-secret-123');
    expect(config.temporal.address).toBe('localhost:7233');
    const payments = config.services.payments!;
    expect(payments.environments.map((e) => e.name)).toEqual(['staging', 'production']);
    expect(payments.environments[0]!.healthTimeout).toBe(600_000);
    expect(payments.environments[1]!.approval?.timeout).toBe(86_400_000);
    expect(payments.environments[1]!.degradedGrace).toBe(60_000);
    expect(loadConfig(SANDBOX_CONFIG_PATH, {}).services.hello).toBeDefined();
  });

  it('names the path and the problem for every error, including unknown keys', () => {
    const broken = example
      .replace('application: payments-production', 'aplication: payments-production')
      .replace('healthTimeout: 10m', 'healthTimeout: ten minutes');
    expect(problems(broken)).toEqual(
      expect.arrayContaining([
        'services.payments.environments[1].argocd.application: required',
        'services.payments.environments[1].argocd.aplication: unknown key; did you mean "application"?',
        expect.stringMatching(/^services\.payments\.environments\[0\]\.healthTimeout: invalid duration "ten minutes"/),
      ]),
    );
  });

  it('requires exactly one manifest target and unique environment names', () => {
    const twoTargets = example.replace(
      '          kustomize:\n',
      '          helm: { tagPath: image.tag }\n          kustomize:\n',
    );
    expect(problems(twoTargets)).toContain(
      'services.payments.environments[0].manifest: set exactly one of kustomize, helm or container',
    );
    const dup = example.replace('- name: production', '- name: staging');
    expect(problems(dup)).toContain('services.payments.environments[1].name: duplicate environment "staging"');
  });

  it('reports unset environment variables by name, never a value', () => {
    const { GITLAB_TOKEN: _dropped, ...rest } = secrets;
    const found = problems(example, rest);
    expect(found).toEqual(['gitlab.token: environment variable GITLAB_TOKEN is not set']);
    expect(JSON.stringify(found)).not.toContain('secret');
  });

  it('reports every problem at once: unset variables, empty secrets, typos and schema errors together', () => {
    const { ARGOCD_TOKEN: _dropped, ...rest } = secrets;
    const broken = example
      .replace('environments:', 'enviroments:')
      .replace('botToken: ${SLACK_BOT_TOKEN}', 'botToken: ""');
    let error: ConfigError | undefined;
    try {
      parseConfig(broken, { ...rest, GITLAB_TOKEN: '' }, 'runway.yaml');
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual(
      expect.arrayContaining([
        'argocd.token: environment variable ARGOCD_TOKEN is not set',
        'gitlab.token: is empty (environment variable GITLAB_TOKEN is set but empty)',
        'slack.botToken: is empty',
        'services.payments.environments: required',
        'services.payments.enviroments: unknown key; did you mean "environments"?',
      ]),
    );
    // Plain text for a person: a count, then one line per problem.
    expect(error!.message.split('\n')[0]).toBe(`runway.yaml has ${error!.problems.length} problems:`);
    expect(error!.message).toContain('\n  - gitlab.token: is empty');
  });

  it('suggests a key only when one is close, and says "required" only for what is absent', () => {
    const typo = example.replace('healthTimeout: 10m', 'healthTimout: 10m\n        zzzzzzzz: 1');
    const found = problems(typo);
    expect(found).toContain(
      'services.payments.environments[0].healthTimout: unknown key; did you mean "healthTimeout"?',
    );
    expect(found).toContain('services.payments.environments[0].zzzzzzzz: unknown key');
    const wrongType = example.replace('taskQueue: runway', 'taskQueue: 5');
    expect(problems(wrongType)).toEqual([
      expect.stringMatching(/^temporal\.taskQueue: Invalid input: expected string/),
    ]);
  });

  it('rejects invalid YAML with a clear error', () => {
    expect(() => parseConfig('services: [unclosed', {})).toThrow(/not valid YAML/);
  });

  it('parses durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(() => parseDuration('soon')).toThrow(/invalid duration/);
  });

  it('the committed JSON Schema is up to date', () => {
    expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(renderJsonSchema());
  });
});

describe('release plan', () => {
  const config = parseConfig(example, secrets);
  const sha = '0123456789abcdef0123456789abcdef01234567';

  it('freezes service config + commit into a plan with no secrets', () => {
    const plan = buildReleasePlan(config, 'payments', {
      sha,
      ref: 'main',
      mergeRequest: {
        iid: 7,
        title: 'Faster checkout',
        url: 'https://gitlab.example.com/acme/payments/-/merge_requests/7',
      },
    });
    expect(plan.releaseId).toBe(`release/payments/${sha}`);
    expect(plan.image).toEqual({ repository: 'registry.gitlab.example.com/acme/payments', tag: sha });
    expect(plan.environments[0]!.target).toEqual({
      kind: 'kustomize',
      file: 'apps/payments/staging/kustomization.yaml',
      name: 'registry.gitlab.example.com/acme/payments',
    });
    expect(plan.environments[1]!.approval).toEqual({
      channel: '#prod-approvals',
      approvers: ['U024BE7LH', 'U0G9QF9C6'],
      timeoutMs: 86_400_000,
    });
    const serialized = JSON.stringify(plan);
    for (const secret of Object.values(secrets)) expect(serialized).not.toContain(secret);
  });

  it('refuses unknown services and malformed commits', () => {
    expect(() => buildReleasePlan(config, 'nope', { sha, ref: 'main' })).toThrow(UnknownServiceError);
    for (const bad of [
      'not-a-sha',
      'a'.repeat(39),
      'a'.repeat(41),
      'abc1234',
      '../../etc',
      '$(id)',
      `${'a'.repeat(39)}\n`,
    ]) {
      expect(() => buildReleasePlan(config, 'payments', { sha: bad, ref: 'main' })).toThrow(InvalidTriggerError);
    }
    expect(() => buildReleasePlan(config, '__proto__', { sha, ref: 'main' })).toThrow(UnknownServiceError);
    expect(() => buildReleasePlan(config, 'constructor', { sha, ref: 'main' })).toThrow(UnknownServiceError);
    expect(buildReleasePlan(config, 'payments', { sha: 'b'.repeat(64), ref: 'main' }).releaseId).toMatch(/b{64}$/);
  });

  it('renders tag templates', () => {
    expect(renderTag('{shortSha}-{branch}', { sha, ref: 'feature/x' })).toBe('01234567-feature-x');
  });

  describe('Argo CD instances and app options', () => {
    const withArgo = (argocd: string, envArgo: string) =>
      example
        .replace(/^argocd:\n(?: {2}.*\n|\n)*?(?=slack:)/m, `${argocd}\n\n`)
        .replace('application: payments-production', `application: payments-production\n${envArgo}`);

    it('keeps the single argocd form as the default instance', () => {
      const config = parseConfig(example, secrets);
      const plan = buildReleasePlan(config, 'payments', { sha: 'a'.repeat(40), ref: 'main' });
      expect(plan.environments.map((e) => e.argocd.instance)).toEqual([undefined, undefined]);
    });

    it('names instances, and an environment picks one with its namespace and outcomes', () => {
      const text = withArgo(
        [
          'argocd:',
          '  url: https://argocd.example.com',
          '  token: ${ARGOCD_TOKEN}',
          '  instances:',
          '    production: { url: https://argocd.prod.example.com, token: prod-token }',
        ].join('\n'),
        [
          '          instance: production',
          '          namespace: team-payments',
          '          autoSyncTimeout: 45s',
          '          onSuspended: healthy',
          '          onMissing: fail',
        ].join('\n'),
      );
      const config = parseConfig(text, secrets);
      const plan = buildReleasePlan(config, 'payments', { sha: 'a'.repeat(40), ref: 'main' });
      expect(plan.environments[1]!.argocd).toEqual({
        application: 'payments-production',
        project: undefined,
        instance: 'production',
        namespace: 'team-payments',
        autoSyncTimeoutMs: 45_000,
        onSuspended: 'healthy',
        onMissing: 'fail',
      });
    });

    it('refuses an environment naming an unknown instance, and instances without a default', () => {
      expect(
        problems(withArgo('argocd:\n  url: https://a.example.com\n  token: t', '          instance: prod')),
      ).toEqual([
        'services.payments.environments[1].argocd.instance: no Argo CD instance "prod" (configured: default)',
      ]);
      const noDefault = withArgo(
        'argocd:\n  instances:\n    prod: { url: https://a.example.com, token: t }',
        '          instance: prod',
      );
      expect(problems(noDefault)).toEqual([
        'services.payments.environments[0].argocd.instance: no default Argo CD instance: name one here or set argocd.default',
      ]);
      expect(problems(noDefault.replace('argocd:\n  instances:', 'argocd:\n  default: prod\n  instances:'))).toEqual(
        [],
      );
      expect(problems(withArgo('argocd:\n  instances:\n    prod: { driver: api }\n  default: prod', ''))).toEqual([
        'argocd.instances.prod: the api driver needs url and token',
      ]);
    });
  });
});
