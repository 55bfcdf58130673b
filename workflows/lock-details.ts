// What the Temporal UI shows for an environment lock: that it is not a release, who holds it, who waits.
import type { EnvLockState } from './messages.js';

const release = (id: string, purpose?: string) => `\`${id}\`${purpose ? ` (${purpose})` : ''}`;

/** Markdown for the lock's current details. Pure, so it runs inside the workflow and in tests. */
export function envLockDetails(state: EnvLockState): string {
  return [
    `**Lock of ${state.service} in ${state.environment}** — not a release: it decides which release may change this environment.`,
    state.holder ? `Held by ${release(state.holder.releaseId, state.holder.purpose)}.` : 'Free.',
    state.queue.length
      ? `Waiting for the lock:\n${state.queue.map((q) => `- ${release(q.releaseId, q.purpose)}`).join('\n')}`
      : '',
    state.waitingForApproval.length
      ? `Waiting for approval:\n${state.waitingForApproval.map((w) => `- ${release(w.releaseId)}`).join('\n')}`
      : '',
    state.newest ? `Newest here: ${release(state.newest.releaseId)}.` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}
