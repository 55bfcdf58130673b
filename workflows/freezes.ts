// The runtime freeze registry: one long-lived workflow per task queue (id `runway-freezes/<taskQueue>`) holding the freezes set with
// `/runway freeze` or the REST API. Signals change it (signal-with-start creates it), a query reads it:
// durable without a database, and visible in the Temporal UI. Planned freezes stay in runway.yaml.
import { condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { workflowNow } from './clock.js';
import { freezeSignal, freezesQuery, unfreezeSignal, type FreezeRegistryState } from './freeze-messages.js';

const CONTINUE_AFTER_SIGNALS = 500;

export async function freezeRegistryWorkflow(initial: FreezeRegistryState): Promise<void> {
  let freezes = [...initial.freezes];
  let signals = 0;
  const live = () => {
    const now = workflowNow().getTime();
    return freezes.filter((f) => f.until === undefined || Date.parse(f.until) > now);
  };
  setHandler(freezeSignal, (freeze) => {
    signals++;
    freezes = [...live().filter((f) => f.environment !== freeze.environment), freeze];
  });
  setHandler(unfreezeSignal, ({ environment }) => {
    signals++;
    freezes = live().filter((f) => f.environment !== environment);
  });
  setHandler(freezesQuery, () => live());
  // Keep the history short: start over with only the live freezes.
  await condition(() => signals >= CONTINUE_AFTER_SIGNALS || workflowInfo().continueAsNewSuggested);
  await continueAsNew<typeof freezeRegistryWorkflow>({ freezes: live() });
}
