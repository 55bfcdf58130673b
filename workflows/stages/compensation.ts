// Compensation (the saga's rollback): put environments this release bumped back on their previous image.
import type { ReleaseContext } from './context.js';
import { shortSha } from '../../domain/ids.js';
import { acquireLock, queuedBehind, releaseLockQuietly } from './lock.js';
import { errorMessage } from './outcomes.js';
import { syncAndWait } from './sync.js';
import { formatImageRef } from '../../domain/image-ref.js';

/**
 * Reverts bumps, newest first: the failing environment's, plus earlier ones with `rollback: all`.
 * Returns null when there was nothing to revert, else what could not be restored.
 */
export async function compensate(ctx: ReleaseContext, failingEnvironment?: string): Promise<string[] | null> {
  const { plan, acts, rec, locks } = ctx;
  const entries = [...ctx.compensations]
    .reverse()
    .filter((c) => plan.rollback === 'all' || c.environment.name === failingEnvironment);
  if (entries.length === 0) return null;
  const perEnvironment = locks.perEnvironment;
  if (!perEnvironment && !locks.holds(entries[0]!.environment.name)) {
    await acquireLock(ctx, entries[0]!.environment.name);
  }
  const held = locks.heldEnvironment;
  if (perEnvironment && held && !entries.some((e) => e.environment.name === held)) {
    await releaseLockQuietly(ctx, true); // never bumped there: not this release's environment any more
  }
  const leftBroken: string[] = [];
  for (const entry of entries) {
    const env = entry.environment;
    const stage = rec.begin('rollback', env.name, {
      to: formatImageRef(entry.previous),
      from: formatImageRef(plan.image),
    });
    if (perEnvironment) {
      // A newer release that deployed here since owns the environment: reverting would undo its deploy.
      const purpose = locks.ordered ? 'revert' : 'rollback';
      const lock = await locks.acquire(env.name, purpose, (behind) => queuedBehind(ctx, env.name, behind));
      if (!lock.granted) {
        rec.end(stage, 'skipped', { supersededBy: lock.supersededBy });
        continue;
      }
    }
    let reverted = false;
    try {
      const revert = await acts.setImage({
        location: plan.infra,
        target: env.target,
        image: entry.previous,
        message: `Roll back ${plan.service} in ${env.name} to ${entry.previous.tag} (release ${shortSha(plan.commit.sha)} failed)`,
        changeId: `${plan.releaseId}/${env.name}/rollback`,
      });
      stage.details.infraCommit = revert.commitSha;
      await syncAndWait(ctx, env, revert.commitSha, stage);
      rec.end(stage, 'succeeded');
      reverted = true;
    } catch (err) {
      rec.end(stage, 'failed', { error: errorMessage(err) });
      leftBroken.push(
        `${env.name} left at ${formatImageRef(plan.image)} (infra commit ${entry.bumpCommit}): ${errorMessage(err)}`,
      );
    }
    if (perEnvironment) await releaseLockQuietly(ctx, reverted);
  }
  return leftBroken;
}
