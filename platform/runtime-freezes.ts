// The freezes declared at runtime (`/runway freeze`), read from the freeze registry workflow. Both the window
// check activity and the API's deploy service ask it, so it lives here rather than in activities/ or api/.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { freezeRegistryId, freezesQuery, type RuntimeFreeze } from '../workflows/freeze-messages.js';

/** The registry's current freezes; none while the registry workflow has not been started yet. */
export async function runtimeFreezes(temporal: Client, taskQueue: string): Promise<RuntimeFreeze[]> {
  try {
    return await temporal.workflow.getHandle(freezeRegistryId(taskQueue)).query(freezesQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
}
