// Approval: ask the environment's approvers in Slack and wait for a decision, a newer release, or the
// timeout. Only an approval lets the release go on.
import { condition } from '@temporalio/workflow';
import type { EnvironmentPlan } from '../../domain/types.js';
import type { ApprovalDecisionResult } from '../messages.js';
import type { ReleaseContext } from './context.js';
import { ReleaseEnded, superseded } from './outcomes.js';
import { retiredPatch } from '../patching.js';

export async function approvalStage(ctx: ReleaseContext, environment: EnvironmentPlan): Promise<void> {
  const gate = environment.approval!;
  const { rec, locks } = ctx;
  const stage = rec.begin('approval', environment.name, {
    approvers: gate.approvers.join(', '),
    channel: gate.channel,
  });
  ctx.approvalWait = { environment: environment.name, approvers: gate.approvers };
  ctx.decision = undefined;
  rec.setStatus('awaiting_approval');
  const report = (waiting: boolean) => locks.reportApprovalWait(environment.name, waiting);
  await report(true);
  // A newer release already owns the environment: nobody is asked to approve this one.
  if (!(locks.perEnvironment && locks.supersededBy)) {
    await ctx.notify('approval_requested', {
      environment: environment.name,
      channel: gate.channel,
      approvers: gate.approvers,
    });
  }

  const decided = await condition(() => ctx.decision !== undefined || locks.supersededBy !== undefined, gate.timeoutMs);
  ctx.approvalWait = undefined;
  await report(false);
  const decision = ctx.decision as ApprovalDecisionResult | undefined; // set by the update handler meanwhile
  if (decision) {
    rec.end(stage, decision.decision === 'approved' ? 'succeeded' : 'failed', {
      decision: decision.decision,
      decidedBy: decision.by,
      decidedAt: decision.at,
    });
    // The decided message must not still say "awaiting approval": the status is set before it. (Releases approved
    // before 2026-11-21 set it after; that path is retired.)
    if (decision.decision === 'approved' && retiredPatch('status-before-decided-notification'))
      rec.setStatus('running');
    await ctx.notify('approval_decided', { environment: environment.name, channel: gate.channel });
    if (decision.decision === 'rejected') {
      throw new ReleaseEnded('rejected', `${environment.name} rejected by ${decision.by}`);
    }
    return;
  }
  if (locks.supersededBy) {
    rec.end(stage, 'cancelled', { supersededBy: locks.supersededBy });
    throw superseded(ctx);
  }
  if (!decided) rec.end(stage, 'failed', { expired: true });
  throw new ReleaseEnded('expired', `no decision for ${environment.name} within ${gate.timeoutMs} ms`);
}
