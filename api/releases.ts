// Starting releases. The workflow id is derived from service + commit, and the server enforces
// uniqueness: a redelivered webhook (or a double click) gets the existing release, never a second one.
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { ReleasePlan } from '../domain/types.js';
import {
  RunwayCommit,
  RunwayMergeRequest,
  RunwayService,
  RunwayStage,
  RunwayStatus,
} from '../domain/search-attributes.js';
import { shortSha } from '../domain/ids.js';
import type { releaseWorkflow } from '../workflows/release.js';
import { formatImageRef } from '../domain/image-ref.js';

export interface StartedRelease {
  handle: WorkflowHandle<typeof releaseWorkflow>;
  /** False when the release already existed (redelivery): nothing new was started. */
  created: boolean;
}

export async function startRelease(
  client: Client,
  plan: ReleasePlan,
  options: { taskQueue: string },
): Promise<StartedRelease> {
  const searchAttributes = [
    { key: RunwayService, value: plan.service },
    { key: RunwayCommit, value: plan.commit.sha },
    { key: RunwayStatus, value: 'running' },
    { key: RunwayStage, value: 'image' },
    ...(plan.mergeRequest ? [{ key: RunwayMergeRequest, value: plan.mergeRequest.iid }] : []),
  ];
  try {
    const handle = await client.workflow.start<typeof releaseWorkflow>('releaseWorkflow', {
      workflowId: plan.releaseId,
      taskQueue: options.taskQueue,
      args: [plan],
      // A running release answers redeliveries; a finished one is never re-run by a webhook.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: searchAttributes,
      memo: plan.mergeRequest ? { mrTitle: plan.mergeRequest.title, mrUrl: plan.mergeRequest.url } : {},
      staticSummary: `${plan.service} ${shortSha(plan.commit.sha)}${plan.mergeRequest ? ` — !${plan.mergeRequest.iid} ${plan.mergeRequest.title}` : ''}`,
      staticDetails: [
        `**Image** \`${formatImageRef(plan.image)}\``,
        `**Environments** ${plan.environments.map((e) => e.name + (e.approval ? ' (approval)' : '')).join(' → ')}`,
        plan.mergeRequest ? `**MR** [!${plan.mergeRequest.iid}](${plan.mergeRequest.url})` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    });
    return { handle, created: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { handle: client.workflow.getHandle<typeof releaseWorkflow>(plan.releaseId), created: false };
    }
    throw err;
  }
}
