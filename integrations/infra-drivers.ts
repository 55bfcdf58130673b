// The infra drivers a runway.yaml configures, built one way for the worker and for `runway check`, so the
// check talks to the infra repositories exactly as releases will.
import type { RunwayConfig } from '../config/schema.js';
import type { InfraRepoPort } from '../activities/ports.js';
import { createGitInfraRepo } from './infra-git.js';
import { createGitLabInfraRepo } from './infra-gitlab.js';

export type InfraDriverName = 'git' | 'gitlab';

export function createInfraDrivers(config: RunwayConfig): Partial<Record<InfraDriverName, InfraRepoPort>> {
  const drivers: Partial<Record<InfraDriverName, InfraRepoPort>> = {
    git: createGitInfraRepo({
      cacheDir: config.git.cacheDir,
      authorName: config.git.authorName,
      authorEmail: config.git.authorEmail,
    }),
  };
  if (config.gitlab) {
    drivers.gitlab = createGitLabInfraRepo({
      url: config.gitlab.url,
      token: config.gitlab.token,
      authorName: config.git.authorName,
      authorEmail: config.git.authorEmail,
    });
  }
  return drivers;
}
