// Starts the merge catch-up in a process that serves the API (api/main.ts, `make dev`), when GitLab is configured.
import { createSlackApi } from '../../integrations/slack.js';
import type { ApiContext } from '../context.js';
import { MergeReconciler } from './reconciler.js';

export function startMergeReconciler(ctx: ApiContext): MergeReconciler | undefined {
  const { config, logger } = ctx;
  if (!config.gitlab || !config.gitlab.reconcile.enabled) return undefined;
  const slack =
    config.slack?.defaultChannel !== undefined
      ? {
          api: createSlackApi({ token: config.slack.botToken, apiUrl: config.slack.apiUrl, maxAttempts: 3 }),
          channel: config.slack.defaultChannel,
        }
      : undefined;
  return new MergeReconciler({
    config,
    releases: ctx.releases,
    logger: logger.child({ component: 'merge-catch-up' }),
    slack,
  }).start();
}
