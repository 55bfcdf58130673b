// The verify / soak / windows / freezes keys: defaults, placeholders, and clear errors.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../config/load.js';
import { buildReleasePlan } from '../../config/plan.js';

const base = (env: string, top = '') => `
${top}
services:
  pay:
    gitlab: { project: acme/pay }
    image: { repository: registry.example.com/acme/pay }
    infra: { driver: git, repository: acme/infra }
    environments:
      - name: staging
        manifest: { file: a.yaml, kustomize: { image: registry.example.com/acme/pay } }
        argocd: { application: pay-staging }
${env}
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, {});
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('config: verify, soak, windows, freezes', () => {
  it('plans checks with placeholders filled, defaults and a query link', () => {
    const config = parseConfig(
      base(
        `        verify:
          checks:
            - { name: error-rate, prometheus: 'sum(rate(x{app="{service}",env="{environment}",v="{shortSha}"}[1m]))', max: 0.01 }
            - { name: smoke, http: { url: 'https://{service}.{environment}.example.com/{sha}' } }
        soak: 10m
        windows: [{ days: [mon], from: '09:00', to: '17:00', timeZone: Europe/Paris }]
        freezes: [{ from: '2026-12-20T00:00:00+01:00', to: '2027-01-04T00:00:00+01:00', reason: year-end }]`,
        'prometheus: { url: "http://prom:9090", headers: { X-Scope-OrgID: acme } }',
      ),
      {},
    );
    const env = buildReleasePlan(config, 'pay', { sha: SHA, ref: 'main' }).environments[0]!;
    expect(env.verify).toMatchObject({
      durationMs: 300_000,
      intervalMs: 30_000,
      failureLimit: 0,
      inconclusive: 'fail',
    });
    expect(env.verify!.checks[0]).toMatchObject({
      prometheus: 'sum(rate(x{app="pay",env="staging",v="01234567"}[1m]))',
      max: 0.01,
    });
    expect(env.verify!.checks[0]!.queryUrl).toMatch(/^http:\/\/prom:9090\/graph\?g0\.expr=sum/);
    expect(env.verify!.checks[1]!.http).toEqual({ url: `https://pay.staging.example.com/${SHA}`, expectStatus: 200 });
    expect(env.soakMs).toBe(600_000);
    expect(env.windows).toEqual([{ days: ['mon'], from: '09:00', to: '17:00', timeZone: 'Europe/Paris' }]);
    expect(env.freezes).toHaveLength(1);
  });

  it('names what is wrong', () => {
    expect(
      problems(
        base(`        verify: { checks: [{ name: a, prometheus: up }] }`, 'prometheus: { url: "http://p:9090" }'),
      ),
    ).toEqual([expect.stringContaining('a prometheus check needs max or min')]);
    expect(
      problems(base(`        verify: { checks: [{ name: a, prometheus: up, http: { url: x }, max: 1 }] }`)),
    ).toEqual(expect.arrayContaining([expect.stringContaining('set exactly one of prometheus or http')]));
    expect(
      problems(base(`        verify: { duration: 10s, interval: 1m, checks: [{ name: s, http: { url: x } }] }`)),
    ).toEqual([expect.stringContaining('interval is longer than duration')]);
    expect(problems(base(`        windows: [{ from: '9:00', to: '17:00', timeZone: Mars/Olympus }]`))).toHaveLength(2);
    expect(
      problems(base(`        freezes: [{ from: '2026-12-20', to: '2026-12-01T00:00:00Z', reason: x }]`)),
    ).not.toEqual([]);
    expect(problems(base(`        verify: { checks: [{ name: a, prometheus: up, max: 1 }] }`))).toEqual([
      expect.stringMatching(/environments.*0.*verify.*checks.*0.*prometheus.*needs the top-level prometheus section/),
    ]);
  });
});
