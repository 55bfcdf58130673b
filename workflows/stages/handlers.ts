// Signals, updates and the status query of a release: they only record into the run's context; the stages
// that wait (image, approval, locks) wake on what they record.
import { setHandler } from '@temporalio/workflow';
import { workflowNow } from '../clock.js';
import {
  approveUpdate,
  cancelRequestedSignal,
  lockGrantedSignal,
  lockQueuedSignal,
  pipelineSignal,
  rejectUpdate,
  statusQuery,
  supersedeSignal,
  type ApprovalDecisionInput,
} from '../messages.js';
import type { ReleaseContext } from './context.js';
import { registerCanaryHandlers } from './canary-state.js';

export function registerHandlers(ctx: ReleaseContext): void {
  const { rec, locks } = ctx;
  setHandler(statusQuery, () => rec.timeline);
  setHandler(pipelineSignal, (event) => {
    ctx.pipelineEvent = event;
  });
  setHandler(cancelRequestedSignal, ({ by }) => rec.action({ action: 'cancel', by }));
  setHandler(supersedeSignal, ({ by, environment }) => {
    locks.onSupersede(by, environment, {
      approvalPending: !!ctx.approvalWait && !ctx.decision,
      changing: ctx.inFlight !== undefined,
    });
  });
  setHandler(lockGrantedSignal, ({ environment, leaseMs }) => locks.onGranted(environment, leaseMs));
  setHandler(lockQueuedSignal, ({ environment, behind }) => locks.onQueued(environment, behind));
  const decide = (decision: 'approved' | 'rejected') => (input: ApprovalDecisionInput) => {
    ctx.decision = { environment: input.environment, decision, by: input.approver, at: workflowNow().toISOString() };
    const action = decision === 'approved' ? 'approve' : 'reject';
    rec.action({ action, by: input.approver, environment: input.environment });
    return ctx.decision;
  };
  // Validators are synchronous on purpose: a refused decision is never written to history.
  setHandler(approveUpdate, decide('approved'), {
    validator: (input: ApprovalDecisionInput) => validateDecision(ctx, input),
  });
  setHandler(rejectUpdate, decide('rejected'), {
    validator: (input: ApprovalDecisionInput) => validateDecision(ctx, input),
  });
  registerCanaryHandlers(ctx);
}

function validateDecision(ctx: ReleaseContext, input: ApprovalDecisionInput): void {
  const { plan } = ctx;
  const wait = ctx.approvalWait;
  if (!wait || ctx.decision) throw new Error(`${plan.releaseId} is not waiting for an approval`);
  if (wait.environment !== input.environment) {
    throw new Error(`${plan.releaseId} is waiting for approval of ${wait.environment}, not ${input.environment}`);
  }
  // Only ids identify people: aliases (usernames, display names) are ignored, as anyone can take one.
  // A validator adds no commands, so this is replay-safe.
  if (!wait.approvers.includes(input.approver)) {
    throw new Error(`${input.approver} is not allowed to approve ${plan.service} in ${input.environment}`);
  }
}
