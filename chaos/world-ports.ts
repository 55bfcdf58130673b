// The real clients Runway's worker uses, pointed at a world of fakes that lives in ANOTHER process (the test or
// the chaos driver), so the worker can be SIGKILLed without losing the world. Everything here is serialisable.
import type { ActivityDeps } from '../activities/index.js';
import { createArgoCdApiClient } from '../integrations/argocd-api.js';
import { createRolloutApiClient } from '../integrations/argocd-rollout.js';
import { createGitLabClient } from '../integrations/gitlab.js';
import { createGitInfraRepo } from '../integrations/infra-git.js';
import { createRegistryClient } from '../integrations/registry.js';
import { createSlackNotifier } from '../integrations/slack.js';
import type { WatchDeps } from '../activities/watch.js';

export interface WorldAddress {
  gitlabUrl: string;
  gitlabToken: string;
  slackApiUrl: string;
  slackToken: string;
  defaultChannel: string;
  argocdUrl: string;
  argocdToken: string;
  argocdUiUrl: string;
  /** `127.0.0.1:<port>` of the docker registry (plain HTTP). */
  registryHost: string;
  /** The git infra driver's working clones (one directory per worker process, like a pod's emptyDir). */
  infraCacheDir: string;
  /** The apps the watcher follows (workflows/watcher.ts), when the test runs one. */
  watch?: Pick<WatchDeps, 'targets' | 'intervalMs' | 'channel'>;
}

export function portsFor(address: WorldAddress): Omit<ActivityDeps, 'temporal' | 'taskQueue'> {
  const infra = createGitInfraRepo({
    cacheDir: address.infraCacheDir,
    authorName: 'Runway',
    authorEmail: 'runway@example.com',
  });
  return {
    registry: createRegistryClient({ insecureHosts: [address.registryHost], timeoutMs: 5_000 }),
    gitlab: createGitLabClient({ url: address.gitlabUrl, token: address.gitlabToken, requestTimeoutMs: 5_000 }),
    infra: (location) => {
      if (location.driver !== 'git')
        throw new Error(`this world only has the git infra driver, not ${location.driver}`);
      return infra;
    },
    argocd: createArgoCdApiClient({ url: address.argocdUrl, token: address.argocdToken, uiUrl: address.argocdUiUrl }),
    rollouts: () => createRolloutApiClient({ url: address.argocdUrl, token: address.argocdToken }),
    // As worker/deps.ts configures it: Temporal's activity retry is the one retry layer.
    notifier: createSlackNotifier({
      token: address.slackToken,
      apiUrl: address.slackApiUrl,
      defaultChannel: address.defaultChannel,
      maxAttempts: 1,
      timeoutMs: 5_000,
    }),
    watch: address.watch,
  };
}
