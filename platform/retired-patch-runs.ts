// Open runs that a retired patch's deleted old path would strand. Runway is self-hosted: only the operator's
// Temporal knows which runs are open, so the worker asks it at startup (worker/boot.ts refuses to start while
// there are any) and `runway check` reports them (platform/check/temporal.ts). The rule: docs/workflows.md.
import type { Client } from '@temporalio/client';
import { retiredPatches, type RetiredPatch } from '../domain/patches.js';
import { firstTaskPatchMarkers } from './first-task-markers.js';

/** Set to `1` to start the worker anyway (the runs listed will fail their next workflow task on this version). */
export const ALLOW_RETIRED_PATCH_RUNS_ENV = 'RUNWAY_ALLOW_RETIRED_PATCH_RUNS';

const SHOWN = 5;
/** Open runs started after a cutoff whose first task is read (one small history page each), at most. */
const SCANNED = 1_000;

export interface RetiredPatchRuns {
  /** Retired patches whose old path these runs may have taken (patches of one version share a query). */
  patches: string[];
  /** The Runway version (its day) that deleted the old paths. */
  retired: string;
  /** The visibility query that found them: paste it into the Temporal UI or `temporal workflow list --query`. */
  query: string;
  count: number;
  /** Up to five of them. */
  workflowIds: string[];
}

export interface RetiredPatchRunsOptions {
  taskQueue: string;
  /** Runs started before it count as old; default the patch's `oldRunsBefore` (tests pass a later one). */
  cutoff?: (patch: RetiredPatch) => Date;
}

/**
 * One entry per group of retired patches (same cutoff) with open runs that took their old path: started before the
 * patch shipped (a visibility query), or, for a patch asked in the first workflow task, started later but without
 * its markers (an install that deployed the version with the patch after it shipped; the first task is read).
 */
export async function findRetiredPatchRuns(
  client: Client,
  options: RetiredPatchRunsOptions,
): Promise<RetiredPatchRuns[]> {
  // Patches retired together share a cutoff: one query (the union of their workflow types), one report.
  const groups = new Map<
    string,
    { patches: string[]; retired: string; types: Set<string>; markers: Set<string>; cutoff: Date }
  >();
  for (const patch of retiredPatches()) {
    const cutoff = options.cutoff?.(patch) ?? patch.oldRunsBefore;
    const key = `${cutoff.toISOString()} ${patch.retired}`;
    const group = groups.get(key) ?? {
      patches: [],
      retired: patch.retired,
      types: new Set<string>(),
      markers: new Set<string>(),
      cutoff,
    };
    group.patches.push(patch.id);
    for (const type of patch.workflowTypes) group.types.add(type);
    for (const marker of patch.firstTaskMarkers) group.markers.add(marker);
    groups.set(key, group);
  }
  const found: RetiredPatchRuns[] = [];
  for (const { patches, retired, types, markers, cutoff } of groups.values()) {
    const open =
      `WorkflowType IN (${[...types].map((t) => `"${t}"`).join(', ')}) AND ExecutionStatus = "Running"` +
      ` AND TaskQueue = "${options.taskQueue}"`;
    const query = `${open} AND StartTime < "${cutoff.toISOString()}"`;
    let { count } = await client.workflow.count(query);
    const workflowIds: string[] = [];
    if (count > 0) {
      for await (const run of client.workflow.list({ query, pageSize: SHOWN })) {
        workflowIds.push(run.workflowId);
        if (workflowIds.length === SHOWN) break;
      }
    }
    if (markers.size > 0) {
      let scanned = 0;
      const later = `${open} AND StartTime >= "${cutoff.toISOString()}"`;
      for await (const run of client.workflow.list({ query: later, pageSize: 100 })) {
        if (++scanned > SCANNED) break;
        const seen = await firstTaskPatchMarkers(client, run.workflowId, run.runId);
        if (!seen || seen.some((id) => markers.has(id))) continue;
        count += 1;
        if (workflowIds.length < SHOWN) workflowIds.push(run.workflowId);
      }
    }
    if (count > 0) found.push({ patches, retired, query, count, workflowIds });
  }
  return found;
}

/** One line: what is open, why it cannot go on, and the fixes. */
export function describeRetiredPatchRuns(runs: RetiredPatchRuns): string {
  const more = runs.count > runs.workflowIds.length ? ` and ${runs.count - runs.workflowIds.length} more` : '';
  const patches = `${runs.patches.length > 1 ? 'patches' : 'patch'} ${runs.patches.join(', ')}`;
  return (
    `${runs.count} open run(s) took the old path of ${patches} (started before ${runs.patches.length > 1 ? 'they' : 'it'} shipped, or on an older Runway), ` +
    `deleted in Runway ${runs.retired}: they cannot continue on this version: ${runs.workflowIds.join(', ')}${more}`
  );
}

export const RETIRED_PATCH_RUNS_FIX =
  'finish them with the previous Runway version first; or re-run each from its start on this version ' +
  '(`temporal workflow reset --workflow-id <id> --type FirstWorkflowTask`) or end it ' +
  `(\`temporal workflow terminate --workflow-id <id>\`); or set ${ALLOW_RETIRED_PATCH_RUNS_ENV}=1 to start anyway ` +
  '(those runs then fail their next workflow task)';

export function retiredPatchRunsAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[ALLOW_RETIRED_PATCH_RUNS_ENV] === '1';
}
