// The environment lock as the timeline shows it: a "queue" stage while waiting behind another release.
import type { LockOutcome } from '../release-locks.js';
import type { ReleaseContext } from './context.js';
import { superseded, tryStep } from './outcomes.js';

/** Waits for the environment's lock; ends the release `superseded` when a newer one owns the environment. */
export async function acquireLock(ctx: ReleaseContext, environment: string): Promise<void> {
  const { locks, rec } = ctx;
  const outcome = await locks.acquire(environment, locks.ordered ? 'deploy' : 'rollback', (behind) =>
    queuedBehind(ctx, environment, behind),
  );
  if (!outcome.granted) {
    if (!rec.timeline.stages.some((s) => s.kind === 'queue' && s.environment === environment)) {
      const stage = rec.begin('queue', environment);
      rec.end(stage, 'cancelled', { supersededBy: outcome.supersededBy });
    }
    throw superseded(ctx);
  }
}

/** Shows a wait for the lock in the timeline: "queued behind <release>", until granted or superseded. */
export function queuedBehind(ctx: ReleaseContext, environment: string, behind: string): (outcome: LockOutcome) => void {
  const { rec } = ctx;
  const stage = rec.begin('queue', environment, { queuedBehind: behind });
  stage.details.note = `queued behind ${behind}`;
  return (outcome) =>
    outcome.granted ? rec.end(stage, 'succeeded') : rec.end(stage, 'cancelled', { supersededBy: outcome.supersededBy });
}

/** On the failure path a lock that cannot be released is a warning, not a second failure. */
export async function releaseLockQuietly(ctx: ReleaseContext, handBack = false): Promise<void> {
  await tryStep(ctx.rec, 'service lock release', () => ctx.locks.release(handBack));
}
