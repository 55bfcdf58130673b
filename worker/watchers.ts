// Starts one watcher per Argo CD instance the config uses (workflows/watcher.ts), at every worker start.
// Idempotent: USE_EXISTING answers with the running watcher, so ten workers booting at once start one each.
import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { RunwayConfig } from '../config/schema.js';
import { DEFAULT_WATCH_INTERVAL_MS, watchedInstances, watcherId } from '../config/watch-targets.js';

export async function startWatchers(client: Client, config: RunwayConfig, log: Logger): Promise<string[]> {
  const taskQueue = config.temporal.taskQueue;
  const ids: string[] = [];
  for (const instance of watchedInstances(config)) {
    const workflowId = watcherId(instance, taskQueue);
    const handle = await client.workflow.start('watcherWorkflow', {
      workflowId,
      taskQueue,
      args: [{ instance, taskQueue, intervalMs: config.timing.watchInterval ?? DEFAULT_WATCH_INTERVAL_MS }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: `Runway watcher of Argo CD ${instance}: incidents and external deploys between releases`,
      staticDetails: [
        `One long-lived **watcher** per Argo CD instance and task queue (\`${workflowId}\`). It is not a release.`,
        '',
        'Every poll it reads the apps of every configured environment on this instance, opens an incident (one',
        'Slack message, updated, closed with its duration) for an app Degraded, Missing or drifted outside a',
        'release, and records deploys Runway did not make. Its current details list the apps, the last poll and',
        'the open incidents; its memo holds the incidents the API shows.',
      ].join('\n'),
    });
    ids.push(handle.workflowId);
  }
  if (ids.length) log.info({ watchers: ids }, 'watchers running');
  return ids;
}
