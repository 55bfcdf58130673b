// Builds the activity dependencies from runway.yaml: the real client for every integration. A process that
// runs with stand-ins (tests, the bench, the history recorder) hands them in explicitly; a real config that
// lacks what its services need is refused here, one line per problem, never quietly replaced by a fake.
import type { Client } from '@temporalio/client';
import type { ActivityDeps } from '../activities/index.js';
import type { ArgoCdPort, GitLabPort, InfraRepoPort, NotifierPort, RegistryPort } from '../activities/ports.js';
import { createRegistryClient } from '../integrations/registry.js';
import { createGitLabClient } from '../integrations/gitlab.js';
import { createInfraDrivers } from '../integrations/infra-drivers.js';
import { createArgoCdApiClient } from '../integrations/argocd-api.js';
import { createArgoCdKubernetesClient } from '../integrations/argocd-kubernetes.js';
import { rolloutPorts } from '../integrations/rollout-ports.js';
import { createSlackNotifier } from '../integrations/slack.js';
import { createPrometheusClient } from '../integrations/prometheus.js';
import { createGitLabReleaseNotes } from '../integrations/gitlab-release-notes.js';
import { argocdInstances as argocdInstancesOf, type RunwayConfig } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import { missingIntegrations } from '../config/requirements.js';
import { DEFAULT_WATCH_INTERVAL_MS, watchTargets } from '../config/watch-targets.js';

/** Ports handed in by a test, the bench or the sandbox instead of the real clients. */
export interface StandIns {
  registry?: RegistryPort;
  gitlab?: GitLabPort;
  argocd?: ArgoCdPort;
  notifier?: NotifierPort;
  infra?: ActivityDeps['infra'];
  prometheus?: ActivityDeps['prometheus'];
  releaseNotes?: ActivityDeps['releaseNotes'];
}

/** Throws a ConfigError listing every integration the config's services need but neither configure nor get. */
export function assertIntegrations(config: RunwayConfig, standIns: StandIns = {}): void {
  const problems = missingIntegrations(config, {
    gitlab: !!standIns.gitlab,
    argocd: !!standIns.argocd,
    notifier: !!standIns.notifier,
    infra: !!standIns.infra,
  });
  if (problems.length) throw new ConfigError('runway.yaml does not configure what its services need', problems);
}

export function buildDeps(config: RunwayConfig, temporal: Client, standIns: StandIns = {}): ActivityDeps {
  assertIntegrations(config, standIns);

  // Public images need no credentials: the real client with no entries pulls anonymously.
  const registry =
    standIns.registry ??
    createRegistryClient({
      credentials: config.registries.map((r) => ({
        host: r.host,
        username: r.username,
        password: r.password,
        token: r.token,
      })),
      insecureHosts: config.registries.filter((r) => r.insecure).map((r) => r.host),
    });

  const gitlab = standIns.gitlab ?? createGitLabClient({ url: config.gitlab!.url, token: config.gitlab!.token });

  // Every configured Argo CD (the top-level one is `default`); environments name theirs (argocd.instance).
  const argocdInstances = Object.fromEntries(
    Object.entries(argocdInstancesOf(config)).map(([name, a]) => [
      name,
      (a.driver ?? 'api') === 'api'
        ? createArgoCdApiClient({ url: a.url!, token: a.token!, uiUrl: a.uiUrl })
        : createArgoCdKubernetesClient({ namespace: a.namespace ?? 'argocd', uiUrl: a.uiUrl }),
    ]),
  );
  // With only named instances and no default, no environment uses the default (the schema checks it).
  const argocd = standIns.argocd ?? argocdInstances.default ?? Object.values(argocdInstances)[0]!;

  const notifier =
    standIns.notifier ??
    createSlackNotifier({
      token: config.slack!.botToken,
      apiUrl: config.slack!.apiUrl,
      defaultChannel: config.slack!.defaultChannel,
      // Temporal's activity retry is the one retry layer (see integrations/slack.ts).
      maxAttempts: 1,
    });

  return {
    registry,
    gitlab,
    argocd,
    argocdInstances,
    rollouts: rolloutPorts(config),
    notifier,
    infra: standIns.infra ?? infraDrivers(config),
    temporal,
    taskQueue: config.temporal.taskQueue,
    lockSettings: {
      leaseMs: config.timing.lockLease,
      livenessCheckMs: config.timing.lockLivenessCheck,
      idleMs: config.timing.lockIdle,
    },
    prometheus:
      standIns.prometheus ??
      (config.prometheus
        ? createPrometheusClient({
            url: config.prometheus.url,
            token: config.prometheus.token,
            headers: config.prometheus.headers,
          })
        : undefined),
    watch: {
      targets: watchTargets(config),
      intervalMs: config.timing.watchInterval ?? DEFAULT_WATCH_INTERVAL_MS,
      channel: config.slack?.defaultChannel,
      logsTemplate: config.links.logs,
      gitlabUrl: config.gitlab?.url,
    },
    releaseNotes:
      standIns.releaseNotes ??
      (config.gitlab ? createGitLabReleaseNotes({ url: config.gitlab.url, token: config.gitlab.token }) : undefined),
  };
}

function infraDrivers(config: RunwayConfig): ActivityDeps['infra'] {
  const drivers: Partial<Record<string, InfraRepoPort>> = createInfraDrivers(config);
  return (location) => {
    const driver = drivers[location.driver];
    // Only a release started before an upgrade can name another driver (e.g. `memory`): fail it clearly.
    if (!driver) throw new ConfigError(`infra driver "${location.driver}" is not configured in this worker`);
    return driver;
  };
}
