// Pure reading of an Argo Rollouts `Rollout` (argoproj.io/v1alpha1) as Runway needs it: which step it is at,
// with what weight and how many canary pods, whether it waits at a pause, was aborted or timed out, and the
// one line people read: `canary step 2 of 5: 33 % (3 of 9 pods)`. Field names follow argo-rollouts
// pkg/apis/rollouts/v1alpha1/types.go; Argo CD's health of it follows its Rollout health.lua.

export interface RolloutRef {
  /** The Argo CD application whose resource tree holds the Rollout. */
  application: string;
  /** The Application's namespace (apps in any namespace) and project. */
  appNamespace?: string;
  project?: string;
  instance?: string;
  name: string;
  namespace: string;
}

export type RolloutAction = 'resume' | 'promote-full' | 'abort';

export interface CanaryStepInfo {
  kind: 'setWeight' | 'setCanaryScale' | 'pause' | 'other';
  /** A pause's duration in seconds; undefined: an indefinite pause (waits for a promote). */
  durationSeconds?: number;
}

export interface RolloutState {
  name: string;
  namespace: string;
  strategy: 'canary' | 'blueGreen';
  /** Images of the pod template (what the manifest bump changes). */
  images: string[];
  /** The controller has seen the latest spec (status.observedGeneration = metadata.generation). */
  observed: boolean;
  phase?: string;
  message?: string;
  currentPodHash?: string;
  stableRS?: string;
  /** 0-based; equal to totalSteps once every step ran. */
  currentStepIndex: number;
  totalSteps: number;
  step?: CanaryStepInfo;
  /** status.pauseConditions is not empty (CanaryPauseStep, BlueGreenPause) or spec.paused. */
  paused: boolean;
  pauseReason?: string;
  aborted: boolean;
  /** Why it is Degraded (RolloutAborted, ProgressDeadlineExceeded, InvalidSpec), from conditions and phase. */
  degradedReason?: string;
  /** Traffic weight of the canary: status.canary.weights when traffic-routed, else the last setWeight step. */
  weight: number;
  /** Pods of the new template (status.updatedReplicas) and spec.replicas. */
  canaryPods: number;
  totalPods: number;
  /** The new template is the stable one: every step ran (or it was rolled back to stable). */
  fullyPromoted: boolean;
  previewSelector?: string;
  activeSelector?: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** `30s`, `1m`, `1h` or seconds (RolloutPause.DurationSeconds); undefined for none or an invalid one. */
export function pauseSeconds(duration: unknown): number | undefined {
  if (typeof duration === 'number') return duration;
  if (typeof duration !== 'string') return undefined;
  const match = /^(\d+)(s|m|h)?$/.exec(duration.trim());
  if (!match) return undefined;
  const n = Number(match[1]);
  return match[2] === 'h' ? n * 3600 : match[2] === 'm' ? n * 60 : n;
}

function stepInfo(step: unknown): CanaryStepInfo {
  const s = obj(step);
  if ('pause' in s) return { kind: 'pause', durationSeconds: pauseSeconds(obj(s.pause).duration) };
  if ('setWeight' in s) return { kind: 'setWeight' };
  if ('setCanaryScale' in s) return { kind: 'setCanaryScale' };
  return { kind: 'other' };
}

/** replicasetutil.GetCurrentSetWeight: the last setWeight at or before the current step (100 after all). */
function setWeightAt(steps: unknown[], index: number): number {
  if (index >= steps.length) return 100;
  for (let i = index; i >= 0; i--) {
    const weight = num(obj(steps[i]).setWeight);
    if (weight !== undefined) return weight;
  }
  return 0;
}

export function parseRollout(raw: unknown): RolloutState {
  const rollout = obj(raw);
  const metadata = obj(rollout.metadata);
  const spec = obj(rollout.spec);
  const status = obj(rollout.status);
  const strategy = obj(spec.strategy);
  const canary = obj(strategy.canary);
  const steps = arr(canary.steps);
  const blueGreen = 'blueGreen' in strategy;
  const containers = arr(obj(obj(spec.template).spec).containers);
  const totalSteps = steps.length;
  const currentStepIndex = Math.min(num(status.currentStepIndex) ?? 0, totalSteps);
  const pauseConditions = arr(status.pauseConditions).map(obj);
  const conditions = arr(status.conditions).map(obj);
  const bad = conditions.find(
    (c) =>
      c.type === 'InvalidSpec' ||
      (c.type === 'Progressing' && (c.reason === 'RolloutAborted' || c.reason === 'ProgressDeadlineExceeded')),
  );
  const weights = obj(obj(status.canary).weights);
  const routedWeight = num(obj(weights.canary).weight);
  const currentPodHash = str(status.currentPodHash);
  const stableRS = str(status.stableRS) ?? str(obj(status.canary).stableRS);
  const generation = num(metadata.generation);
  const observedGeneration = Number(status.observedGeneration);
  const aborted = status.abort === true;
  return {
    name: str(metadata.name) ?? '',
    namespace: str(metadata.namespace) ?? '',
    strategy: blueGreen ? 'blueGreen' : 'canary',
    images: containers.map((c) => str(obj(c).image)).filter((i): i is string => !!i),
    observed: generation === undefined || Number.isNaN(observedGeneration) || observedGeneration === generation,
    phase: str(status.phase),
    message: str(status.message),
    currentPodHash,
    stableRS,
    currentStepIndex,
    totalSteps,
    step: currentStepIndex < totalSteps ? stepInfo(steps[currentStepIndex]) : undefined,
    paused: pauseConditions.length > 0 || spec.paused === true,
    pauseReason: str(pauseConditions[0]?.reason) ?? (spec.paused === true ? 'manually paused' : undefined),
    aborted,
    degradedReason: bad ? `${str(bad.reason) ?? str(bad.type)}: ${str(bad.message) ?? ''}`.trim() : undefined,
    weight: aborted ? 0 : (routedWeight ?? (blueGreen ? 0 : setWeightAt(steps, currentStepIndex))),
    canaryPods: num(status.updatedReplicas) ?? 0,
    totalPods: num(spec.replicas) ?? 1,
    fullyPromoted: !!currentPodHash && currentPodHash === stableRS,
    previewSelector: str(obj(status.blueGreen).previewSelector),
    activeSelector: str(obj(status.blueGreen).activeSelector),
  };
}

/** Does the Rollout's template run `image` (`repository:tag`, maybe with a digest)? */
export function runsImage(state: RolloutState, image: { repository: string; tag: string }): boolean {
  return state.images.some(
    (i) => i === `${image.repository}:${image.tag}` || i.startsWith(`${image.repository}:${image.tag}@`),
  );
}

/** `canary step 2 of 5: 33 % (3 of 9 pods)`, or the blue-green equivalent. */
export function describeStep(state: RolloutState): string {
  if (state.strategy === 'blueGreen') {
    if (state.fullyPromoted) return `blue-green: active on the new version (${state.totalPods} pods)`;
    return `blue-green preview: ${state.canaryPods} of ${state.totalPods} pods, traffic still on stable`;
  }
  const step = Math.min(state.currentStepIndex + 1, state.totalSteps);
  if (state.fullyPromoted) return `canary promoted: 100 % (${state.totalPods} of ${state.totalPods} pods)`;
  return `canary step ${step} of ${state.totalSteps}: ${state.weight} % (${state.canaryPods} of ${state.totalPods} pods)`;
}

/** What the release should do about the Rollout now. */
export type CanaryVerdict =
  | { state: 'promoted' }
  | { state: 'failed'; reason: string }
  /** An indefinite pause (or a blue-green preview): checks, maybe an approver, then resume. */
  | { state: 'gate' }
  /** A pause with a duration: watch and check until the controller goes on by itself. */
  | { state: 'timed-pause'; seconds: number }
  | { state: 'progressing' };

export function canaryVerdict(state: RolloutState): CanaryVerdict {
  if (state.aborted)
    return {
      state: 'failed',
      reason: `the Rollout was aborted (${state.degradedReason ?? state.message ?? 'status.abort'})`,
    };
  if (state.degradedReason) return { state: 'failed', reason: state.degradedReason };
  if (state.phase === 'Degraded') return { state: 'failed', reason: state.message ?? 'Rollout Degraded' };
  if (!state.observed) return { state: 'progressing' };
  if (state.fullyPromoted && state.phase === 'Healthy') return { state: 'promoted' };
  if (state.paused) {
    if (state.strategy === 'blueGreen' || state.step?.kind !== 'pause') return { state: 'gate' };
    const seconds = state.step.durationSeconds;
    return seconds === undefined ? { state: 'gate' } : { state: 'timed-pause', seconds };
  }
  return { state: 'progressing' };
}

/** Fills `{canaryHash}`, `{stableHash}`, `{weight}` in a check's query or URL (URL-encoded for URLs). */
export function fillCanaryTemplate(
  template: string,
  vars: { canaryHash?: string; stableHash?: string; weight: number },
  encode = false,
): string {
  const values: Record<string, string> = {
    canaryHash: vars.canaryHash ?? '',
    stableHash: vars.stableHash ?? '',
    weight: String(vars.weight),
  };
  const filled = template.replace(/\{(canaryHash|stableHash|weight)\}/g, (_, key: string) =>
    encode ? encodeURIComponent(values[key]!) : values[key]!,
  );
  // Links hold the query URL-encoded: `%7BcanaryHash%7D`.
  return filled.replace(/%7B(canaryHash|stableHash|weight)%7D/gi, (_, key: string) => encodeURIComponent(values[key]!));
}
