// Every patched() id of Runway's workflows, with what it affects and where it stands. Pure data: workflow code
// calls patches through it (workflows/patching.ts, typed ids), and the worker's startup guard and `runway check`
// read it to find open runs that a retired patch's old path would fail to replay (platform/retired-patch-runs.ts, worker/retired-patch-guard.ts).
// The rule for retiring a patch is in docs/workflows.md ("Retiring a `patched()` branch").

export type PatchStage = 'live' | 'deprecated';

export interface PatchInfo {
  /** Workflow types whose runs may take the patch's old path. */
  workflowTypes: readonly string[];
  /** Day (UTC) the Runway version that added the patch shipped. Runs started before it took the old path. */
  introduced: string;
  /** live: `patched(id)`, old path kept. deprecated: `deprecatePatch(id)`, old path deleted. */
  stage: PatchStage;
  /** For deprecated patches: the day (UTC) of the Runway version that deleted the old path. */
  retired?: string;
  /**
   * When the patch is asked in a run's first workflow task: the markers that task records on the new path. A run
   * whose first task recorded none of them took the old path, whenever it started (an install that upgraded late).
   */
  firstTaskMarkers?: readonly string[];
}

const RELEASES = ['releaseWorkflow', 'rollbackWorkflow'] as const;

export const PATCHES = {
  'status-before-decided-notification': {
    workflowTypes: ['releaseWorkflow'],
    introduced: '2026-11-21',
    stage: 'deprecated',
    retired: '2026-12-07',
  },
  'local-activities': {
    workflowTypes: RELEASES,
    introduced: '2026-11-21',
    stage: 'deprecated',
    retired: '2026-12-07',
    // createReleaseContext asks it (or, since 2026-12-07, `no-local-activities` first) before anything is awaited.
    firstTaskMarkers: ['local-activities', 'no-local-activities'],
  },
  'release-notes': { workflowTypes: RELEASES, introduced: '2026-11-30', stage: 'live' },
  'deploy-window': { workflowTypes: RELEASES, introduced: '2026-11-30', stage: 'live' },
  'verify-stage': { workflowTypes: RELEASES, introduced: '2026-11-30', stage: 'live' },
  'soak-stage': { workflowTypes: RELEASES, introduced: '2026-11-30', stage: 'live' },
  'argocd-sync-window': { workflowTypes: RELEASES, introduced: '2026-11-30', stage: 'live' },
  'approval-message-closed': { workflowTypes: RELEASES, introduced: '2026-11-30', stage: 'live' },
  'rollback-never-reverts': { workflowTypes: ['rollbackWorkflow'], introduced: '2026-11-30', stage: 'live' },
  'environment-locks': { workflowTypes: RELEASES, introduced: '2026-11-30', stage: 'live' },
  'service-lock-idle-end': { workflowTypes: ['serviceLockWorkflow'], introduced: '2026-11-30', stage: 'live' },
  'no-local-activities': { workflowTypes: RELEASES, introduced: '2026-12-07', stage: 'live' },
  'lock-ordinary-activities': { workflowTypes: ['environmentLockWorkflow'], introduced: '2026-12-07', stage: 'live' },
  'timeline-memo': { workflowTypes: RELEASES, introduced: '2026-12-07', stage: 'live' },
} as const satisfies Record<string, PatchInfo>;

export type PatchId = keyof typeof PATCHES;
type IdsAt<S extends PatchStage> = { [K in PatchId]: (typeof PATCHES)[K]['stage'] extends S ? K : never }[PatchId];
/** Ids workflow code may ask `patched()` about. */
export type LivePatchId = IdsAt<'live'>;
/** Ids whose old path is deleted: workflow code calls `deprecatePatch()`. */
export type DeprecatedPatchId = IdsAt<'deprecated'>;

export interface RetiredPatch {
  id: DeprecatedPatchId;
  workflowTypes: readonly string[];
  introduced: string;
  retired: string;
  /**
   * Runs started before this instant may have taken the deleted old path. The end of the day the patch shipped,
   * not its start: a run started that day may still have run on the version before.
   */
  oldRunsBefore: Date;
  firstTaskMarkers: readonly string[];
}

const DAY_MS = 86_400_000;

/** The patches whose old path is gone: an open run that started before `oldRunsBefore` cannot replay. */
export function retiredPatches(): RetiredPatch[] {
  const out: RetiredPatch[] = [];
  for (const [id, info] of Object.entries(PATCHES) as [PatchId, PatchInfo][]) {
    if (info.stage !== 'deprecated') continue;
    out.push({
      id: id as DeprecatedPatchId,
      workflowTypes: info.workflowTypes,
      introduced: info.introduced,
      retired: info.retired!,
      oldRunsBefore: new Date(Date.parse(`${info.introduced}T00:00:00Z`) + DAY_MS),
      firstTaskMarkers: info.firstTaskMarkers ?? [],
    });
  }
  return out;
}
