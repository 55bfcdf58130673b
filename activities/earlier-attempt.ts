// Whether an earlier run of this activity may already have done its write without hearing back, so the write
// must look for its copy first (Slack has no idempotency key). An activity retry says so by its attempt. A local
// activity starts again at attempt 1 when its workflow task is retried (its worker died mid-task, or the task
// timed out): then the workflow task's own attempt, from Temporal, says so. Outside an activity: assume it may.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';

export async function earlierAttemptMayHaveWritten(temporal: Client | undefined): Promise<boolean> {
  let info: Context['info'];
  try {
    info = Context.current().info;
  } catch {
    return true;
  }
  if (info.attempt > 1) return true;
  if (!info.isLocal) return false;
  if (!temporal || !info.workflowExecution) return true;
  try {
    const { workflowId, runId } = info.workflowExecution;
    const description = await temporal.workflow.getHandle(workflowId, runId).describe();
    return (description.raw.pendingWorkflowTask?.attempt ?? 1) > 1;
  } catch {
    return true; // cannot tell: looking costs a read, guessing wrong costs a duplicate
  }
}
