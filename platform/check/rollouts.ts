// Canary environments: the Rollout each `environments[].rollout` names is part of its Argo CD application
// (REST: GetResource of the app's live resource; Kubernetes: the Rollout object), so a typo is reported here
// instead of failing the first release.
import type { KubeConfig } from '@kubernetes/client-node';
import type { RunwayConfig } from '../../config/schema.js';
import { parseRollout } from '../../domain/canary.js';
import { rolloutPorts } from '../../integrations/rollout-ports.js';
import type { CheckResult } from './report.js';

export async function checkRollouts(
  config: RunwayConfig,
  options: { kubeConfig?: KubeConfig } = {},
): Promise<CheckResult[]> {
  const area = 'argocd';
  const targets = Object.entries(config.services).flatMap(([service, s]) =>
    s.environments.filter((e) => e.rollout).map((e) => ({ service, env: e })),
  );
  if (targets.length === 0) return [];
  if (!config.argocd) {
    return [
      { area, check: 'rollouts', status: 'fail', detail: 'environments name a rollout but no argocd is configured' },
    ];
  }
  const ports = rolloutPorts(config, options.kubeConfig);
  const out: CheckResult[] = [];
  for (const { service, env } of targets) {
    const { name, namespace } = env.rollout!;
    const check = `${service}/${env.name}: Rollout ${namespace}/${name} in application ${env.argocd.application}`;
    try {
      const ref = {
        application: env.argocd.application,
        appNamespace: env.argocd.namespace,
        project: env.argocd.project,
        instance: env.argocd.instance,
        name,
        namespace,
      };
      const state = parseRollout(await ports(env.argocd.instance).get(ref));
      const what = state.strategy === 'blueGreen' ? 'blue-green' : `canary with ${state.totalSteps} steps`;
      out.push({ area, check, status: 'ok', detail: `${what}, ${state.phase ?? 'no phase yet'}` });
    } catch (err) {
      out.push({
        area,
        check,
        status: 'fail',
        detail: (err as Error).message.split('\n')[0],
        fix: `check environments[].rollout of ${service}/${env.name} (kubectl get rollouts -n ${namespace}) and that the account may get the app's resources`,
      });
    }
  }
  return out;
}
