// The patch markers a run recorded in its first workflow task, read from the first page of its history: they
// tell which path of a patch asked at the start of the run (domain/patches.ts `firstTaskMarkers`) it took,
// whichever Runway version started it.
import type { Client } from '@temporalio/client';

const FIRST_PAGE = 50; // the first task's commands follow its few start events

/** Patch ids of the first workflow task's markers; undefined while that task has not completed (no commands yet). */
export async function firstTaskPatchMarkers(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<string[] | undefined> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: FIRST_PAGE,
  });
  const events = history?.events ?? [];
  const completed = events.findIndex((e) => e.workflowTaskCompletedEventAttributes);
  if (completed < 0) return undefined;
  const ids: string[] = [];
  for (const event of events.slice(completed + 1)) {
    if (event.workflowTaskScheduledEventAttributes) break; // the next task
    const marker = event.markerRecordedEventAttributes;
    const data = marker?.markerName === 'core_patch' ? marker.details?.['patch-data']?.payloads?.[0]?.data : undefined;
    if (data) ids.push((JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id);
  }
  return ids;
}
