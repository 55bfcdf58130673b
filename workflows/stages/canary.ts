// Canary: drive an Argo Rollouts Rollout through its steps after the bump, from the workflow (so a worker
// killed at any step resumes at that step: the state lives here and in the Rollout). At each indefinite pause
// (or a blue-green preview) the environment's checks run against the canary's pods, an approver may have to
// press Promote, then the Rollout is resumed with Argo CD's resource action; a pause with a duration is watched
// and checked. Anything wrong (a check, Degraded, RolloutAborted, a stuck step, an approver's Abort) aborts the
// Rollout at once and fails the deploy: the saga then reverts the bump in git and waits until it is Healthy
// on the stable version again, so the next sync cannot re-roll the bad image.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  sleep,
} from '@temporalio/workflow';
import {
  canaryVerdict,
  describeStep,
  fillCanaryTemplate,
  runsImage,
  type RolloutRef,
  type RolloutState,
} from '../../domain/canary.js';
import { formatImageRef } from '../../domain/image-ref.js';
import { checkValuesKey } from '../../domain/stage-details.js';
import type { EnvironmentPlan, StageOf, VerifyCheck } from '../../domain/types.js';
import { describeResult, evaluationCount, formatThreshold, formatValue } from '../../domain/verify.js';
import { workflowNow } from '../clock.js';
import { stageActivities, type ReleaseContext } from './context.js';
import type { CanaryRun } from './canary-state.js';
import { errorMessage } from './outcomes.js';
import { syncAndWait } from './sync.js';

/** The canary failed (or was aborted): the deploy fails and the saga reverts the bump. */
export class CanaryFailed extends Error {
  override name = 'CanaryFailed';
}

/** An approver pressed Abort: a canary failure that says who, and at which step. */
export class CanaryAborted extends CanaryFailed {
  constructor(
    readonly by: string,
    readonly step: string,
  ) {
    super(`aborted by ${by} at ${step}`);
  }
}

/** What the stage knows of the Rollout before the bump. */
export interface CanaryPreflight {
  ref: RolloutRef;
  stableBefore?: string;
}

const DEFAULT_APPROVAL_TIMEOUT_MS = 24 * 3600_000;

export function rolloutRef(environment: EnvironmentPlan): RolloutRef {
  const { argocd, rollout } = environment;
  return {
    application: argocd.application,
    appNamespace: argocd.namespace,
    project: argocd.project,
    instance: argocd.instance,
    name: rollout!.name,
    namespace: rollout!.namespace,
  };
}

/** Before the bump: the Rollout must exist in the app (else the release fails at once, naming it). */
export async function canaryPreflight(ctx: ReleaseContext, environment: EnvironmentPlan): Promise<CanaryPreflight> {
  const ref = rolloutRef(environment);
  const state = await stageActivities(ctx.timing).readRollout({ ref });
  return { ref, stableBefore: state.stableRS };
}

/** Sync the bump, then run the Rollout's steps to full promotion. Replaces syncAndWait for Rollout environments. */
export async function canaryDeploy(
  ctx: ReleaseContext,
  environment: EnvironmentPlan,
  revision: string,
  deployStage: StageOf<'deploy'>,
  preflight: CanaryPreflight,
): Promise<void> {
  const { rec } = ctx;
  const target = environment.rollout!;
  const stage = rec.begin('canary', environment.name, {
    rollout: `${target.namespace}/${target.name}`,
    summary: 'waiting for Argo CD to sync the Rollout',
  });
  const run: CanaryRun = {
    environment: environment.name,
    promoters: target.promoters,
    step: 'starting',
    paused: false,
    awaitingApprover: false,
  };
  ctx.canary = run;
  let podHash: string | undefined;
  try {
    // A paused Rollout is Suspended in Argo CD: that is the canary under way, not a deploy that hangs.
    const syncTarget: EnvironmentPlan = { ...environment, argocd: { ...environment.argocd, onSuspended: 'healthy' } };
    await syncAndWait(ctx, syncTarget, revision, deployStage);
    await runSteps(ctx, environment, stage, run, preflight, (hash) => (podHash = hash));
    rec.end(stage, 'succeeded', { summary: run.step });
  } catch (err) {
    const cancelled = isCancellation(err);
    await CancellationScope.nonCancellable(() => abortRollout(ctx, preflight.ref, stage, podHash));
    rec.end(stage, cancelled ? 'cancelled' : 'failed', {
      error: cancelled ? 'cancelled' : errorMessage(err),
      summary: endedSummary(stage, err, cancelled),
      ...(err instanceof CanaryAborted ? { commandBy: err.by } : {}),
    });
    throw err;
  } finally {
    ctx.canary = undefined;
  }
}

/** What an ended canary says instead of its last "where it is" (which may be "waiting for an approver…"). */
function endedSummary(stage: StageOf<'canary'>, err: unknown, cancelled: boolean): string {
  const at = stage.details.step ? ` at ${stage.details.step}` : ' before its first step';
  if (cancelled) return `cancelled${at}`;
  if (err instanceof CanaryAborted) return `aborted by ${err.by} at ${err.step}`;
  if (stage.details.failedCheck) return `check "${stage.details.failedCheck}" failed${at}`;
  return `failed${at}`;
}

async function runSteps(
  ctx: ReleaseContext,
  environment: EnvironmentPlan,
  stage: StageOf<'canary'>,
  run: CanaryRun,
  preflight: CanaryPreflight,
  seen: (podHash: string | undefined) => void,
): Promise<void> {
  const { plan, timing } = ctx;
  const acts = stageActivities(timing);
  const target = environment.rollout!;
  const image = formatImageRef(plan.image);
  const passed: string[] = [];
  let gated: { hash?: string; index: number } | undefined;
  let lastIndex = -1;
  let stepSince = workflowNow().getTime();
  // Failed evaluations during the current timed pause, against the verify failure limit.
  let timedFailures = new Map<string, number>();
  for (;;) {
    const state = await readTolerantly(ctx, preflight.ref, stage, () => {
      if (workflowNow().getTime() - stepSince > environment.healthTimeoutMs) {
        throw new CanaryFailed(
          `${run.step}: the Rollout could not be read for ${Math.round(environment.healthTimeoutMs / 1000)} s`,
        );
      }
    });
    if (!state) continue;
    seen(state.currentPodHash);
    if (state.observed && !runsImage(state, plan.image)) {
      throw new CanaryFailed(
        `Rollout ${target.namespace}/${target.name} runs ${state.images.join(', ') || 'no image'}, not ${image}: does the manifest bump change this Rollout?`,
      );
    }
    const line = describeStep(state);
    if (line !== run.step || state.currentStepIndex !== lastIndex) {
      if (state.currentStepIndex !== lastIndex) {
        stepSince = workflowNow().getTime();
        timedFailures = new Map();
      }
      lastIndex = state.currentStepIndex;
      record(stage, run, state, line);
      await ctx.notify('progress', { environment: environment.name });
    }
    consumeAbort(run);
    const verdict = canaryVerdict(state);
    run.paused = verdict.state === 'gate' || verdict.state === 'timed-pause';
    if (verdict.state === 'promoted') return;
    if (verdict.state === 'failed') throw new CanaryFailed(`${line}: ${verdict.reason}`);

    if (verdict.state === 'gate' && (gated?.hash !== state.currentPodHash || gated?.index !== state.currentStepIndex)) {
      const results = target.verifyEachStep ? await watchChecks(ctx, environment, stage, run, state, line) : [];
      const action = await approve(ctx, environment, stage, run, line);
      passed.push(results.length ? `${line} — ${results.join('; ')}` : line);
      stage.details.steps = passed.join('\n');
      const outcome = await acts.runRolloutAction({
        ref: preflight.ref,
        action: action === 'promote-full' ? 'promote-full' : 'resume',
        podHash: state.currentPodHash,
        stepIndex: state.currentStepIndex,
      });
      stage.details.lastAction = `${action === 'promote-full' ? 'promote-full' : 'resume'}${outcome.ran ? '' : ` (not needed: ${outcome.note})`}`;
      gated = { hash: state.currentPodHash, index: state.currentStepIndex };
      run.paused = false;
      stepSince = workflowNow().getTime();
      continue;
    }
    const early = run.command;
    if (verdict.state === 'timed-pause' && early && early.action !== 'abort') {
      // An approver does not want to wait out the pause: resume (or promote fully) now.
      run.command = undefined;
      const action = early.action === 'promote-full' ? 'promote-full' : 'resume';
      const outcome = await acts.runRolloutAction({
        ref: preflight.ref,
        action,
        podHash: state.currentPodHash,
        stepIndex: state.currentStepIndex,
      });
      stage.details.lastAction = `${action} by ${early.by}${outcome.ran ? '' : ` (not needed: ${outcome.note})`}`;
      stage.details.commandBy = early.by;
      continue;
    }
    if (verdict.state === 'timed-pause' && target.verifyEachStep && environment.verify) {
      // A timed pause: the controller goes on by itself; Runway checks meanwhile, each interval.
      const results = await evaluateOnce(ctx, environment, stage, state, line, timedFailures);
      if (results) stage.details.summary = `${line} — ${results.join('; ')}`;
    }
    if (early && early.action !== 'abort' && run.command === early) {
      // The Rollout moved on by itself between the press and now (or was already resumed): nothing to promote.
      run.command = undefined;
      stage.details.lastAction = `${early.action} by ${early.by} (not needed: the Rollout moved on)`;
      stage.details.commandBy = early.by;
    }
    // A pause with a duration lasts as long as the Rollout says; any other step must move within healthTimeout.
    const stuck = verdict.state !== 'timed-pause' && workflowNow().getTime() - stepSince > environment.healthTimeoutMs;
    if (stuck && !run.awaitingApprover) {
      throw new CanaryFailed(
        `${line}: no progress for ${Math.round(environment.healthTimeoutMs / 1000)} s (${state.phase ?? 'no phase'}: ${state.message ?? 'no message'})`,
      );
    }
    const waitMs =
      verdict.state === 'timed-pause' && environment.verify ? environment.verify.intervalMs : timing.pollIntervalMs;
    // Wakes early for an approver's command (Abort at any time, Promote during a timed pause).
    await condition(() => run.command !== undefined, waitMs);
  }
}

/**
 * One read of the Rollout. A read that failed after its retries (Argo CD unreachable for a while) is not the
 * canary failing: it is noted, and the loop reads again after a poll interval, until the step's timeout. A
 * permanent failure (the Rollout gone, RBAC) still fails at once.
 */
async function readTolerantly(
  ctx: ReleaseContext,
  ref: RolloutRef,
  stage: StageOf<'canary'>,
  checkTimeout: () => void,
): Promise<RolloutState | undefined> {
  try {
    const state = await stageActivities(ctx.timing).readRollout({ ref });
    delete stage.details.readError;
    return state;
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (cause instanceof ApplicationFailure && cause.nonRetryable) throw err;
    stage.details.readError = errorMessage(err);
    checkTimeout();
    await sleep(ctx.timing.pollIntervalMs);
    return undefined;
  }
}

function record(stage: StageOf<'canary'>, run: CanaryRun, state: RolloutState, line: string): void {
  run.step = line;
  Object.assign(stage.details, {
    step: line,
    weight: state.weight,
    canaryPods: state.canaryPods,
    totalPods: state.totalPods,
    canaryHash: state.currentPodHash,
    stableHash: state.stableRS,
    phase: state.phase,
    summary: line,
  });
}

function consumeAbort(run: CanaryRun): void {
  const command = run.command;
  if (command?.action === 'abort') throw new CanaryAborted(command.by, command.step);
}

/** With approveSteps, waits for an approver's Promote; returns what was asked (promote or promote-full). */
async function approve(
  ctx: ReleaseContext,
  environment: EnvironmentPlan,
  stage: StageOf<'canary'>,
  run: CanaryRun,
  line: string,
): Promise<'promote' | 'promote-full'> {
  const given = run.command;
  if (given && given.action !== 'abort') {
    run.command = undefined;
    stage.details.commandBy = given.by;
    return given.action;
  }
  if (!environment.rollout!.approveSteps) return 'promote';
  const timeoutMs = environment.approval?.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
  run.awaitingApprover = true;
  stage.details.gate = 'waiting';
  stage.details.summary = `${line} — waiting for an approver: Promote to the next step, Promote fully or Abort`;
  await ctx.notify('progress', { environment: environment.name });
  const decided = await condition(() => run.command !== undefined, timeoutMs);
  run.awaitingApprover = false;
  delete stage.details.gate;
  if (!decided) throw new CanaryFailed(`${line}: nobody promoted it within ${Math.round(timeoutMs / 60_000)} min`);
  consumeAbort(run);
  const command = run.command!;
  run.command = undefined;
  stage.details.summary = `${line} — ${command.action === 'promote-full' ? 'promoted fully' : 'promoted'} by ${command.by}`;
  stage.details.commandBy = command.by;
  return command.action === 'promote-full' ? 'promote-full' : 'promote';
}

/** The environment's checks with the canary's placeholders filled in. */
function canaryChecks(environment: EnvironmentPlan, state: RolloutState): VerifyCheck[] {
  const vars = {
    canaryHash: state.strategy === 'blueGreen' ? (state.previewSelector ?? state.currentPodHash) : state.currentPodHash,
    stableHash: state.stableRS,
    weight: state.weight,
  };
  return environment.verify!.checks.map((check) => ({
    ...check,
    ...(check.prometheus ? { prometheus: fillCanaryTemplate(check.prometheus, vars) } : {}),
    ...(check.http ? { http: { ...check.http, url: fillCanaryTemplate(check.http.url, vars, true) } } : {}),
    ...(check.queryUrl ? { queryUrl: fillCanaryTemplate(check.queryUrl, vars) } : {}),
  }));
}

/** At a gate: the verify window (evaluations every interval), failing on a check past its failure limit. */
async function watchChecks(
  ctx: ReleaseContext,
  environment: EnvironmentPlan,
  stage: StageOf<'canary'>,
  run: CanaryRun,
  state: RolloutState,
  line: string,
): Promise<string[]> {
  const verify = environment.verify;
  if (!verify) return [];
  const total = evaluationCount(verify.durationMs, verify.intervalMs);
  const failures = new Map<string, number>();
  let last: string[] = [];
  for (let i = 1; i <= total; i++) {
    if (await condition(() => run.command?.action === 'abort', verify.intervalMs)) consumeAbort(run);
    const results = await evaluateOnce(ctx, environment, stage, state, line, failures);
    last = results ?? [];
    stage.details.summary = `${line} — ${last.join('; ')}, ${i} of ${total} evaluations`;
    if (i < total) await ctx.notify('progress', { environment: environment.name });
  }
  return last;
}

/** One evaluation; throws CanaryFailed when a check failed more often than the failure limit allows. */
async function evaluateOnce(
  ctx: ReleaseContext,
  environment: EnvironmentPlan,
  stage: StageOf<'canary'>,
  state: RolloutState,
  line: string,
  failures = new Map<string, number>(),
): Promise<string[] | undefined> {
  const verify = environment.verify!;
  const checks = canaryChecks(environment, state);
  const results = await stageActivities(ctx.timing).evaluateChecks({ checks });
  const lines: string[] = [];
  for (const result of results) {
    const check = checks.find((c) => c.name === result.name)!;
    lines.push(describeResult(check, result));
    const key = checkValuesKey(check.name);
    const values = [String(stage.details[key] ?? ''), formatValue(check, result.value)].filter(Boolean);
    stage.details[key] = values.slice(-12).join(', ');
    const bad = result.outcome === 'fail' || (result.outcome === 'inconclusive' && verify.inconclusive === 'fail');
    if (!bad) continue;
    const count = (failures.get(check.name) ?? 0) + 1;
    failures.set(check.name, count);
    if (count > verify.failureLimit) {
      const why =
        result.outcome === 'inconclusive'
          ? 'no data (inconclusive counts as failed)'
          : formatValue(check, result.value);
      Object.assign(stage.details, {
        failedCheck: check.name,
        threshold: formatThreshold(check),
        values: stage.details[key],
      });
      throw new CanaryFailed(
        `${line}: check "${check.name}" failed in ${environment.name}: ${why}, expected ${formatThreshold(check)}` +
          `${result.note ? ` (${result.note})` : ''}; values: ${String(stage.details[key])}` +
          (check.queryUrl ? `; query: ${check.queryUrl}` : ''),
      );
    }
  }
  return lines;
}

/** All traffic back to stable at once; a failure here is a warning (the git revert puts it back anyway). */
async function abortRollout(
  ctx: ReleaseContext,
  ref: RolloutRef,
  stage: StageOf<'canary'>,
  podHash?: string,
): Promise<void> {
  if (!podHash) return;
  try {
    const outcome = await stageActivities(ctx.timing).runRolloutAction({ ref, action: 'abort', podHash });
    stage.details.aborted = outcome.ran
      ? `aborted at ${ctx.canary?.step ?? 'its step'}`
      : `not aborted: ${outcome.note}`;
  } catch (err) {
    if (isCancellation(err)) throw err;
    ctx.rec.warn(
      `aborting Rollout ${ref.namespace}/${ref.name} failed: ${errorMessage(err)} (the git revert rolls it back)`,
    );
  }
}
