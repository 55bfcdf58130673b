// Release plans with short timings for tests and the history recorder.
import { randomUUID } from 'node:crypto';
import type { MemoryWorld } from '../../fakes/memory-world.js';
import type { ReleasePlan } from '../../domain/types.js';

/** A plan with short timings, two environments (staging automatic, production with approval). */
export function testPlan(overrides: Partial<ReleasePlan> & { sha?: string; service?: string } = {}): ReleasePlan {
  const service = overrides.service ?? `svc-${randomUUID().slice(0, 8)}`;
  const sha = overrides.sha ?? randomUUID().replace(/-/g, '').padEnd(40, '0').slice(0, 40);
  const { sha: _s, service: _v, ...rest } = overrides;
  return {
    releaseId: `release/${service}/${sha}`,
    service,
    project: { id: `acme/${service}`, webUrl: `https://gitlab.example.com/acme/${service}` },
    commit: { sha, ref: 'main', title: 'Add a feature' },
    mergeRequest: {
      iid: 42,
      title: 'Add a feature',
      url: `https://gitlab.example.com/acme/${service}/-/merge_requests/42`,
    },
    image: { repository: `registry.example.com/acme/${service}`, tag: sha },
    infra: { driver: 'memory', repository: 'acme/infra', branch: 'main' },
    rollback: 'environment',
    environments: [
      {
        name: 'staging',
        target: {
          kind: 'kustomize',
          file: `apps/${service}/staging/kustomization.yaml`,
          name: `registry.example.com/acme/${service}`,
        },
        argocd: { application: `${service}-staging` },
        healthTimeoutMs: 10_000,
        degradedGraceMs: 100,
      },
      {
        name: 'production',
        target: { kind: 'helm', file: `apps/${service}/production/values.yaml`, tagPath: 'image.tag' },
        argocd: { application: `${service}-production` },
        healthTimeoutMs: 10_000,
        degradedGraceMs: 100,
        approval: { channel: '#prod-approvals', approvers: ['U0ALICE', 'bob'], timeoutMs: 60_000 },
      },
    ],
    pipeline: { timeoutMs: 30_000, pollIntervalMs: 200 },
    notify: { channel: '#releases' },
    logsUrlTemplate: 'https://grafana.example.com/explore?service={service}&env={environment}&from={from}&to={to}',
    timing: { heartbeatTimeoutMs: 2_000, pollIntervalMs: 25, retryInitialIntervalMs: 50 },
    ...rest,
  };
}

/** Seeds the world so every environment of the plan currently runs `previousTag`. */
export function seedEnvironments(world: MemoryWorld, plan: ReleasePlan, previousTag = 'v1.0.0'): void {
  for (const env of plan.environments)
    world.infra.seed(env.target, { repository: plan.image.repository, tag: previousTag });
}
