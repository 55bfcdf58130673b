// Verify: after Healthy, evaluate the environment's checks every `interval` for `duration`. The loop and
// its timers live here, in the workflow, so a worker restart resumes the window where it was; each
// evaluation is one short activity. A check that fails more than `failureLimit` times fails the stage.
import { sleep } from '@temporalio/workflow';
import type { EnvironmentPlan, VerifyCheck } from '../../domain/types.js';
import {
  describeResult,
  evaluationCount,
  formatThreshold,
  formatValue,
  type CheckResult,
} from '../../domain/verify.js';
import { checkValuesKey } from '../../domain/stage-details.js';
import { isRollbackRun, stageActivities, type StageContext } from './context.js';

/** Thrown when a check fails: the release rolls the environment back like a failed health wait. */
export class VerificationFailed extends Error {
  override name = 'VerificationFailed';
}

interface CheckTrack {
  check: VerifyCheck;
  values: string[];
  failures: number;
}

const MAX_VALUES_SHOWN = 12;

export async function verifyStage(ctx: StageContext, environment: EnvironmentPlan): Promise<void> {
  if (isRollbackRun()) return;
  const verify = environment.verify!;
  const { rec } = ctx;
  const acts = stageActivities(ctx.timing);
  const total = evaluationCount(verify.durationMs, verify.intervalMs);
  const tracks: CheckTrack[] = verify.checks.map((check) => ({ check, values: [], failures: 0 }));
  const stage = rec.begin('verify', environment.name, {
    checks: verify.checks.map((c) => `${c.name} ${formatThreshold(c)}`).join('; '),
    evaluations: `0/${total}`,
    summary: `watching ${verify.checks.map((c) => c.name).join(', ')}: ${total} evaluations every ${seconds(verify.intervalMs)}`,
  });
  verify.checks.forEach((c) => c.queryUrl && rec.link(`query:${c.name}:${environment.name}`, c.queryUrl));
  await ctx.notify('progress', { environment: environment.name });

  for (let i = 1; i <= total; i++) {
    await sleep(verify.intervalMs);
    const results = await acts.evaluateChecks({ checks: verify.checks });
    const failed: { track: CheckTrack; result: CheckResult }[] = [];
    for (const result of results) {
      const track = tracks.find((t) => t.check.name === result.name)!;
      track.values.push(formatValue(track.check, result.value));
      stage.details[checkValuesKey(track.check.name)] = shown(track.values);
      const bad = result.outcome === 'fail' || (result.outcome === 'inconclusive' && verify.inconclusive === 'fail');
      if (bad) track.failures++;
      if (bad && track.failures > verify.failureLimit) failed.push({ track, result });
    }
    stage.details.evaluations = `${i}/${total}`;
    stage.details.summary = `${results.map((r) => describeResult(tracks.find((t) => t.check.name === r.name)!.check, r)).join('; ')}, ${i} of ${total} evaluations`;
    const first = failed[0];
    if (first) {
      const { check } = first.track;
      const why =
        first.result.outcome === 'inconclusive'
          ? 'no data (inconclusive counts as failed)'
          : formatValue(check, first.result.value);
      const message =
        `check "${check.name}" failed in ${environment.name}: ${why}, expected ${formatThreshold(check)}` +
        `${first.result.note ? ` (${first.result.note})` : ''}; values: ${shown(first.track.values)}` +
        (check.queryUrl ? `; query: ${check.queryUrl}` : '');
      rec.end(stage, 'failed', {
        failedCheck: check.name,
        threshold: formatThreshold(check),
        values: shown(first.track.values),
        queryUrl: check.queryUrl,
        error: message,
      });
      throw new VerificationFailed(message);
    }
    if (i < total) await ctx.notify('progress', { environment: environment.name });
  }
  rec.end(stage, 'succeeded');
}

function shown(values: string[]): string {
  const tail = values.slice(-MAX_VALUES_SHOWN);
  return (values.length > tail.length ? '…, ' : '') + tail.join(', ');
}

function seconds(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
