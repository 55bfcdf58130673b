// Builds the activity dependencies from runway.yaml: the real client for every configured integration,
// and an in-memory sandbox stand-in for each one that is not configured.
import type { Client } from '@temporalio/client';
import type { ActivityDeps } from '../activities/index.js';
import type { InfraRepoPort } from '../activities/ports.js';
import { createMemoryWorld, type MemoryWorld } from '../activities/memory/world.js';
import { createRegistryClient } from '../activities/integrations/registry.js';
import { createGitLabClient } from '../activities/integrations/gitlab.js';
import { createGitLabInfraRepo } from '../activities/integrations/infra-gitlab.js';
import { createGitInfraRepo } from '../activities/integrations/infra-git.js';
import { createArgoCdApiClient } from '../activities/integrations/argocd-api.js';
import { createArgoCdKubernetesClient } from '../activities/integrations/argocd-kubernetes.js';
import { createSlackNotifier } from '../activities/integrations/slack.js';
import { createPrometheusClient } from '../activities/integrations/prometheus.js';
import { createGitLabReleaseNotes } from '../activities/integrations/gitlab-release-notes.js';
import { argocdInstances as argocdInstancesOf, type RunwayConfig } from '../config/schema.js';
import { ConfigError } from '../config/load.js';

export interface BuiltDeps {
  deps: ActivityDeps;
  /** Which integrations run simulated (sandbox) rather than for real. */
  simulated: string[];
  world: MemoryWorld;
}

export function buildDeps(config: RunwayConfig, temporal: Client): BuiltDeps {
  const world = createMemoryWorld({ progressMs: 3_000 });
  seedMemoryInfra(world, config);
  const simulated: string[] = [];

  const registry =
    config.gitlab || config.registries.length
      ? createRegistryClient({
          credentials: config.registries.map((r) => ({
            host: r.host,
            username: r.username,
            password: r.password,
            token: r.token,
          })),
          insecureHosts: config.registries.filter((r) => r.insecure).map((r) => r.host),
        })
      : (simulated.push('registry'), world.ports.registry);

  const gitlab = config.gitlab
    ? createGitLabClient({ url: config.gitlab.url, token: config.gitlab.token })
    : (simulated.push('gitlab'), world.ports.gitlab);

  const argocdInstances = Object.fromEntries(
    Object.entries(argocdInstancesOf(config)).map(([name, a]) => [
      name,
      (a.driver ?? 'api') === 'api'
        ? createArgoCdApiClient({ url: a.url!, token: a.token!, uiUrl: a.uiUrl })
        : createArgoCdKubernetesClient({ namespace: a.namespace ?? 'argocd', uiUrl: a.uiUrl }),
    ]),
  );
  const argocd = argocdInstances.default ?? (simulated.push('argocd'), world.ports.argocd);

  const notifier = config.slack
    ? createSlackNotifier({
        token: config.slack.botToken,
        apiUrl: config.slack.apiUrl,
        defaultChannel: config.slack.defaultChannel,
      })
    : (simulated.push('slack'), world.ports.notifier);

  const drivers: Partial<Record<'gitlab' | 'git' | 'memory', InfraRepoPort>> = { memory: world.ports.infra() };
  if (config.gitlab) {
    drivers.gitlab = createGitLabInfraRepo({
      url: config.gitlab.url,
      token: config.gitlab.token,
      authorName: config.git.authorName,
      authorEmail: config.git.authorEmail,
    });
  }
  drivers.git = createGitInfraRepo({
    cacheDir: config.git.cacheDir,
    authorName: config.git.authorName,
    authorEmail: config.git.authorEmail,
  });
  const infra: ActivityDeps['infra'] = (location) => {
    const driver = drivers[location.driver];
    if (!driver) throw new ConfigError(`infra driver "${location.driver}" needs the gitlab section in runway.yaml`);
    return driver;
  };

  return {
    deps: {
      registry,
      gitlab,
      argocd,
      argocdInstances,
      notifier,
      infra,
      temporal,
      taskQueue: config.temporal.taskQueue,
      prometheus: config.prometheus
        ? createPrometheusClient({
            url: config.prometheus.url,
            token: config.prometheus.token,
            headers: config.prometheus.headers,
          })
        : undefined,
      releaseNotes: config.gitlab
        ? createGitLabReleaseNotes({ url: config.gitlab.url, token: config.gitlab.token })
        : undefined,
    },
    simulated,
    world,
  };
}

/** Gives every memory-driven environment a current image, as a real manifest would have. */
export function seedMemoryInfra(world: MemoryWorld, config: RunwayConfig): void {
  for (const service of Object.values(config.services)) {
    if (service.infra.driver !== 'memory') continue;
    for (const env of service.environments) {
      const { file, kustomize, helm, container } = env.manifest;
      const target = kustomize
        ? { kind: 'kustomize' as const, file, name: kustomize.image }
        : helm
          ? { kind: 'helm' as const, file, tagPath: helm.tagPath, repositoryPath: helm.repositoryPath }
          : {
              kind: 'container' as const,
              file,
              container: container!.name,
              workloadKind: container!.kind,
              workloadName: container!.workload,
            };
      world.infra.seed(target, { repository: service.image.repository, tag: 'v0.1.0' });
    }
  }
}
