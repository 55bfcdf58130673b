// Freezes a service's config and one commit into a ReleasePlan: the workflow's whole input.
import type {
  EnvironmentPlan,
  ForcedDeploy,
  ManifestTarget,
  MergeRequestRef,
  ReleasePlan,
  VerifyPlan,
} from '../domain/types.js';
import { fillCheckTemplate, queryLink, type CheckVars } from '../domain/verify.js';
import { isCommitSha, releaseId, shortSha } from '../domain/ids.js';
import { findService, type EnvironmentConfig, type RunwayConfig } from './schema.js';

export class UnknownServiceError extends Error {
  override name = 'UnknownServiceError';
}
/** A trigger that cannot name a release (e.g. not a full commit sha): the caller's mistake, never a crash. */
export class InvalidTriggerError extends Error {
  override name = 'InvalidTriggerError';
}

export interface ReleaseTrigger {
  sha: string;
  ref: string;
  title?: string;
  mergeRequest?: MergeRequestRef;
  triggeredBy?: string;
  /** On-demand deploys: their own release id (a commit may be deployed more than once). */
  releaseId?: string;
  force?: ForcedDeploy;
}

export function renderTag(template: string, trigger: ReleaseTrigger): string {
  const vars: Record<string, string> = {
    sha: trigger.sha,
    shortSha: shortSha(trigger.sha),
    branch: trigger.ref.replace(/[^A-Za-z0-9_.-]/g, '-'),
  };
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

function manifestTarget(env: EnvironmentConfig): ManifestTarget {
  const { file, kustomize, helm, container } = env.manifest;
  if (kustomize) return { kind: 'kustomize', file, name: kustomize.image };
  if (helm) return { kind: 'helm', file, tagPath: helm.tagPath, repositoryPath: helm.repositoryPath };
  if (container) {
    return {
      kind: 'container',
      file,
      container: container.name,
      workloadKind: container.kind,
      workloadName: container.workload,
    };
  }
  throw new Error(`environment ${env.name}: no manifest target`); // unreachable: the schema enforces one
}

export function buildReleasePlan(config: RunwayConfig, service: string, trigger: ReleaseTrigger): ReleasePlan {
  const svc = findService(config, service);
  if (!svc) {
    const known = Object.keys(config.services).join(', ') || 'none';
    throw new UnknownServiceError(`unknown service "${service.slice(0, 100)}" (configured: ${known})`);
  }
  if (!isCommitSha(trigger.sha.toLowerCase())) {
    throw new InvalidTriggerError('sha must be a full commit id: 40 hex digits (or 64 in a SHA-256 repository)');
  }
  const environments: EnvironmentPlan[] = svc.environments.map((env) => ({
    name: env.name,
    target: manifestTarget(env),
    argocd: {
      application: env.argocd.application,
      project: env.argocd.project,
      instance: env.argocd.instance,
      namespace: env.argocd.namespace,
      autoSyncTimeoutMs: env.argocd.autoSyncTimeout,
      onSuspended: env.argocd.onSuspended,
      onMissing: env.argocd.onMissing,
    },
    healthTimeoutMs: env.healthTimeout,
    degradedGraceMs: env.degradedGrace,
    approval: env.approval
      ? { channel: env.approval.channel, approvers: env.approval.approvers, timeoutMs: env.approval.timeout }
      : undefined,
    verify: env.verify ? verifyPlan(config, env, { service, environment: env.name, sha: trigger.sha }) : undefined,
    soakMs: env.soak,
    windows: env.windows.length ? env.windows : undefined,
    freezes: env.freezes.length ? env.freezes : undefined,
    ...(env.rollout
      ? {
          rollout: {
            name: env.rollout.name,
            namespace: env.rollout.namespace,
            approveSteps: env.canary?.approveSteps ?? false,
            verifyEachStep: env.canary?.verifyEachStep ?? true,
            promoters: env.approval?.approvers ?? env.deployers ?? [],
          },
        }
      : {}),
  }));
  return {
    releaseId: trigger.releaseId ?? releaseId(service, trigger.sha),
    service,
    project: { id: svc.gitlab.project, webUrl: svc.gitlab.webUrl },
    commit: { sha: trigger.sha.toLowerCase(), ref: trigger.ref, title: trigger.title },
    mergeRequest: trigger.mergeRequest,
    image: { repository: svc.image.repository, tag: renderTag(svc.image.tag, trigger) },
    infra: { driver: svc.infra.driver, repository: svc.infra.repository, branch: svc.infra.branch },
    rollback: svc.rollback,
    environments,
    pipeline: { timeoutMs: svc.pipeline.timeout, pollIntervalMs: svc.pipeline.pollInterval },
    notify: { channel: svc.notify.channel ?? config.slack?.defaultChannel },
    logsUrlTemplate: config.links.logs,
    triggeredBy: trigger.triggeredBy,
    force: trigger.force,
    timing: planTiming(config.timing),
  };
}

function planTiming(timing: RunwayConfig['timing']): ReleasePlan['timing'] {
  const out: NonNullable<ReleasePlan['timing']> = {};
  if (timing.pollInterval) out.pollIntervalMs = timing.pollInterval;
  if (timing.heartbeatTimeout) out.heartbeatTimeoutMs = timing.heartbeatTimeout;
  if (timing.retryInitialInterval) out.retryInitialIntervalMs = timing.retryInitialInterval;
  if (timing.windowRecheck) out.windowRecheckMs = timing.windowRecheck;
  return Object.keys(out).length ? out : undefined;
}

function verifyPlan(config: RunwayConfig, env: EnvironmentConfig, vars: CheckVars): VerifyPlan {
  const verify = env.verify!;
  const prometheus = config.prometheus;
  return {
    durationMs: verify.duration,
    intervalMs: verify.interval,
    failureLimit: verify.failureLimit,
    inconclusive: verify.inconclusive,
    checks: verify.checks.map((check) => {
      if (check.prometheus) {
        if (!prometheus) {
          throw new Error(`environment ${env.name}: check "${check.name}" needs the top-level prometheus section`);
        }
        const query = fillCheckTemplate(check.prometheus, vars);
        return {
          name: check.name,
          prometheus: query,
          max: check.max,
          min: check.min,
          queryUrl: queryLink(query, { prometheusUrl: prometheus.url, linkTemplate: prometheus.linkTemplate }),
        };
      }
      const http = check.http!;
      return {
        name: check.name,
        http: { url: fillCheckTemplate(http.url, vars, true), expectStatus: http.expectStatus },
      };
    }),
  };
}
