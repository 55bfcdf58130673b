// Activities of the canary stage: read a Rollout's live state through Argo CD, and run a Rollout action
// (resume, promote-full, abort) only when the Rollout is still where the workflow saw it: a retried
// "resume" must never skip the next pause, and an abort must never hit a newer release's Rollout.
import { PermanentError } from '../domain/errors.js';
import { parseRollout, type RolloutAction, type RolloutRef, type RolloutState } from '../domain/canary.js';
import type { RolloutPort } from '../integrations/argocd-rollout.js';

export interface RolloutActionInput {
  ref: RolloutRef;
  action: RolloutAction;
  /** The pod template hash the workflow decided about; a Rollout on another one is left alone. */
  podHash?: string;
  /** For `resume`: the step whose pause the workflow decided about. */
  stepIndex?: number;
}

export interface RolloutActionResult {
  ran: boolean;
  /** Why it did not run (already done, moved on). */
  note?: string;
  state: RolloutState;
}

export type RolloutPorts = (instance: string | undefined) => RolloutPort;

export function canaryActivities(deps: { rollouts?: RolloutPorts }) {
  const portFor = (ref: RolloutRef): RolloutPort => {
    if (!deps.rollouts)
      throw new PermanentError('no Argo Rollouts driver is configured (environments[].rollout needs Argo CD)');
    return deps.rollouts(ref.instance);
  };
  return {
    async readRollout(input: { ref: RolloutRef }): Promise<RolloutState> {
      return parseRollout(await portFor(input.ref).get(input.ref));
    },

    async runRolloutAction(input: RolloutActionInput): Promise<RolloutActionResult> {
      const port = portFor(input.ref);
      const state = parseRollout(await port.get(input.ref));
      const skip = (note: string): RolloutActionResult => ({ ran: false, note, state });
      if (input.podHash && state.currentPodHash !== input.podHash) {
        return skip(`the Rollout moved on to pod template ${state.currentPodHash ?? 'none'}`);
      }
      switch (input.action) {
        case 'resume':
          if (!state.paused) return skip('not paused (already resumed)');
          if (input.stepIndex !== undefined && state.currentStepIndex !== input.stepIndex) {
            return skip(`at step ${state.currentStepIndex + 1}, not ${input.stepIndex + 1}`);
          }
          break;
        case 'promote-full':
          if (state.fullyPromoted) return skip('already fully promoted');
          if (state.aborted) return skip('aborted');
          break;
        case 'abort':
          if (state.aborted) return skip('already aborted');
          if (state.fullyPromoted) return skip('fully promoted: nothing to abort');
          break;
      }
      await port.action(input.ref, input.action);
      return { ran: true, state: parseRollout(await port.get(input.ref)) };
    },
  };
}
