// Release notes: before the first message, ask what this release brings to each environment (the commits
// between the version running there and this one, with their merge requests). Never fails the release.
import { isCancellation } from '@temporalio/workflow';
import { isRollbackRun, stageActivities, type StageContext } from './context.js';

export async function releaseNotesStage(ctx: StageContext): Promise<void> {
  if (isRollbackRun()) return;
  const { plan, rec } = ctx;
  try {
    const notes = await stageActivities(ctx.timing).releaseNotes({
      projectId: plan.project.id,
      sha: plan.commit.sha,
      imageRepository: plan.image.repository,
      imageTag: plan.image.tag,
      environments: plan.environments.map((e) => ({ name: e.name, location: plan.infra, target: e.target })),
    });
    if (notes.length) rec.timeline.notes = notes;
  } catch (err) {
    if (isCancellation(err)) throw err;
    rec.warn(`release notes unavailable: ${(err as Error).message}`);
  }
}
