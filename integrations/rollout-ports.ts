// The Argo Rollouts driver of each configured Argo CD: REST instances read and drive Rollouts through Argo CD's
// resource API and actions, Kubernetes instances through the Rollout object itself (as kubectl-argo-rollouts).
import type { KubeConfig } from '@kubernetes/client-node';
import type { RolloutPorts } from '../activities/canary.js';
import { createRolloutApiClient, createRolloutKubernetesClient, type RolloutPort } from './argocd-rollout.js';
import { PermanentError } from '../domain/errors.js';
import { argocdInstances as argocdInstancesOf, type RunwayConfig } from '../config/schema.js';

export function rolloutPorts(config: RunwayConfig, kubeConfig?: KubeConfig): RolloutPorts {
  const ports: Record<string, RolloutPort> = Object.fromEntries(
    Object.entries(argocdInstancesOf(config)).map(([name, a]) => [
      name,
      (a.driver ?? 'api') === 'api'
        ? createRolloutApiClient({ url: a.url!, token: a.token! })
        : createRolloutKubernetesClient({ kubeConfig: kubeConfig ?? 'default' }),
    ]),
  );
  return (instance) => {
    const port = ports[instance ?? 'default'] ?? (instance ? undefined : Object.values(ports)[0]);
    if (!port) throw new PermanentError(`no Argo CD instance "${instance ?? 'default'}" is configured for Rollouts`);
    return port;
  };
}
