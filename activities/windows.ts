// Is an environment open for deploys now? Windows and planned freezes come with the plan; runtime freezes
// from the freeze registry workflow. The clock is injectable (ActivityDeps.now) so tests can move time.
import type { Client } from '@temporalio/client';
import type { DeployWindow, PlannedFreeze } from '../domain/types.js';
import { windowState, type ActiveFreeze, type WindowState } from '../domain/windows.js';
import { RunwayCommit, RunwayService } from '../domain/search-attributes.js';
import { isNewer, type OrderedCommit } from '../domain/ordering.js';
import type { GitLabPort } from './ports.js';
import { runtimeFreezes } from '../platform/runtime-freezes.js';

export interface WindowCheckInput {
  service: string;
  environment: string;
  windows?: DeployWindow[];
  freezes?: PlannedFreeze[];
  /** Set once the release has waited: then a newer release of the service in flight supersedes it. */
  releaseId?: string;
  releaseStartedAt?: number;
  /** The release's project and commit: a newer release is one whose commit descends from this one. */
  projectId?: string;
  sha?: string;
}

export interface WindowCheckResult extends WindowState {
  /** The newer release that makes this queued one pointless. */
  supersededBy?: string;
  /** The clock the answer was computed with (ISO). */
  now: string;
}

export async function checkDeployWindow(
  deps: { temporal: Client; taskQueue: string; now?: () => Date; gitlab?: Pick<GitLabPort, 'relateCommits'> },
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
    const me: OrderedCommit = {
      releaseId: input.releaseId,
      sha: input.sha ?? '',
      releaseStartedAt: input.releaseStartedAt,
    };
    result.supersededBy = await newerRelease(deps, input.service, me, input.projectId);
  }
  return result;
}

/**
 * A running release of `service` that is newer than this one: by the target branch's history (its commit descends
 * from ours, or the later commit when histories diverged), never by arrival; by start time only when the commits
 * cannot be compared (no GitLab, no commit recorded).
 */
async function newerRelease(
  deps: { temporal: Client; gitlab?: Pick<GitLabPort, 'relateCommits'> },
  service: string,
  me: OrderedCommit,
  projectId: string | undefined,
): Promise<string | undefined> {
  const query = [
    `WorkflowType = "releaseWorkflow"`,
    `ExecutionStatus = "Running"`,
    `${RunwayService.name} = "${service.replace(/["\\]/g, '')}"`,
  ].join(' AND ');
  let newest: OrderedCommit | undefined;
  for await (const wf of deps.temporal.workflow.list({ query })) {
    if (wf.workflowId === me.releaseId) continue;
    const other: OrderedCommit = {
      releaseId: wf.workflowId,
      sha: wf.typedSearchAttributes.get(RunwayCommit) ?? '',
      releaseStartedAt: wf.startTime.getTime(),
    };
    const comparable = deps.gitlab && projectId && me.sha && other.sha;
    const newer = comparable
      ? isNewer(other, me, await deps.gitlab!.relateCommits(projectId, other.sha, me.sha))
      : other.releaseStartedAt > me.releaseStartedAt;
    if (newer && (!newest || other.releaseStartedAt > newest.releaseStartedAt)) newest = other;
  }
  return newest?.releaseId;
}
