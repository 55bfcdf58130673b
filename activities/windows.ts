// Is an environment open for deploys now? Windows and planned freezes come with the plan; runtime freezes
// from the freeze registry workflow. The clock is injectable (ActivityDeps.now) so tests can move time.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DeployWindow, PlannedFreeze } from '../domain/types.js';
import { windowState, type ActiveFreeze, type WindowState } from '../domain/windows.js';
import { RunwayService } from '../domain/search-attributes.js';
import { freezeRegistryId, freezesQuery, type RuntimeFreeze } from '../workflows/freeze-messages.js';

export interface WindowCheckInput {
  service: string;
  environment: string;
  windows?: DeployWindow[];
  freezes?: PlannedFreeze[];
  /** Set once the release has waited: then a newer release of the service in flight supersedes it. */
  releaseId?: string;
  releaseStartedAt?: number;
}

export interface WindowCheckResult extends WindowState {
  /** The newer release that makes this queued one pointless. */
  supersededBy?: string;
  /** The clock the answer was computed with (ISO). */
  now: string;
}

export async function runtimeFreezes(temporal: Client, taskQueue: string): Promise<RuntimeFreeze[]> {
  try {
    return await temporal.workflow.getHandle(freezeRegistryId(taskQueue)).query(freezesQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
}

export async function checkDeployWindow(
  deps: { temporal: Client; taskQueue: string; now?: () => Date },
  input: WindowCheckInput,
): Promise<WindowCheckResult> {
  const now = (deps.now?.() ?? new Date()).getTime();
  const runtime = (await runtimeFreezes(deps.temporal, deps.taskQueue)).filter(
    (f) => f.environment === input.environment,
  );
  const freezes: ActiveFreeze[] = [
    ...(input.freezes ?? []),
    ...runtime.map((f) => ({ from: f.at, to: f.until, reason: f.reason, by: f.by })),
  ];
  const state = windowState(now, input.windows ?? [], freezes);
  const result: WindowCheckResult = { ...state, now: new Date(now).toISOString() };
  if (state.open && input.releaseId && input.releaseStartedAt !== undefined) {
    result.supersededBy = await newerRelease(deps.temporal, input.service, input.releaseId, input.releaseStartedAt);
  }
  return result;
}

/** The newest release of `service` started after this one and still running, if any. */
async function newerRelease(
  temporal: Client,
  service: string,
  releaseId: string,
  startedAt: number,
): Promise<string | undefined> {
  const query = [
    `WorkflowType = "releaseWorkflow"`,
    `ExecutionStatus = "Running"`,
    `${RunwayService.name} = "${service.replace(/["\\]/g, '')}"`,
    `StartTime > "${new Date(startedAt).toISOString()}"`,
  ].join(' AND ');
  let newest: { id: string; at: number } | undefined;
  for await (const wf of temporal.workflow.list({ query })) {
    if (wf.workflowId === releaseId) continue;
    const at = wf.startTime.getTime();
    if (at > startedAt && (!newest || at > newest.at)) newest = { id: wf.workflowId, at };
  }
  return newest?.id;
}
