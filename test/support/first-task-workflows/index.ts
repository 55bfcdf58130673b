// Stand-ins named like Runway's release workflow for test/e2e/retired-patch-late-upgrade.test.ts: a run whose
// first workflow task records the markers it is given (none: as a release started on Runway before 2026-11-21),
// then waits until terminated.
import { condition, patched } from '@temporalio/workflow';

export async function releaseWorkflow(options: { markers: string[] }): Promise<void> {
  for (const id of options.markers) patched(id);
  await condition(() => false);
}
