// The state of a running canary that its update handler writes into and the canary stage reads: which
// environment, where the Rollout is, whether it waits for an approver, and the command given.
import { setHandler } from '@temporalio/workflow';
import { canaryCommandUpdate, type CanaryCommandInput, type CanaryCommandResult } from '../canary-messages.js';
import type { ReleaseContext } from './context.js';

export interface CanaryRun {
  environment: string;
  promoters: string[];
  /** The current step line, `canary step 2 of 5: 33 % (3 of 9 pods)`. */
  step: string;
  /** The Rollout waits at a pause (a Promote may be given). */
  paused: boolean;
  /** The stage waits for an approver's Promote at this pause. */
  awaitingApprover: boolean;
  command?: CanaryCommandResult;
}

export function registerCanaryHandlers(ctx: ReleaseContext): void {
  setHandler(
    canaryCommandUpdate,
    (input: CanaryCommandInput) => {
      const run = ctx.canary!;
      run.command = { environment: input.environment, action: input.action, by: input.by, step: run.step };
      ctx.rec.action({ action: input.action, by: input.by, environment: input.environment });
      return run.command;
    },
    // Synchronous and command-free, like approve/reject: a refused command is never written to history.
    { validator: (input: CanaryCommandInput) => validateCanaryCommand(ctx, input) },
  );
}

function validateCanaryCommand(ctx: ReleaseContext, input: CanaryCommandInput): void {
  const { plan } = ctx;
  const run = ctx.canary;
  if (!run) throw new Error(`${plan.releaseId} is not running a canary`);
  if (run.environment !== input.environment) {
    throw new Error(`${plan.releaseId} runs its canary in ${run.environment}, not ${input.environment}`);
  }
  if (!run.promoters.includes(input.by)) {
    throw new Error(`${input.by} is not allowed to promote or abort ${plan.service} in ${input.environment}`);
  }
  if (run.command) throw new Error(`${run.command.by} already asked to ${run.command.action} at ${run.command.step}`);
  if (input.action !== 'abort' && !run.paused) {
    throw new Error(
      `the canary of ${plan.service} in ${input.environment} is not paused (${run.step}): nothing to promote`,
    );
  }
}
