// The canary's update: an approver (Slack button, `/runway promote|abort`, REST) moves a Rollout on or stops it.
import { defineUpdate } from '@temporalio/workflow';

export type CanaryCommandAction = 'promote' | 'promote-full' | 'abort';

export interface CanaryCommandInput {
  environment: string;
  /** Slack user id or API token name; checked against the environment's approvers (else deployers). */
  by: string;
  action: CanaryCommandAction;
}

export interface CanaryCommandResult {
  environment: string;
  action: CanaryCommandAction;
  by: string;
  /** The step it was given at (`canary step 2 of 5: …`). */
  step: string;
}

export const canaryCommandUpdate = defineUpdate<CanaryCommandResult, [CanaryCommandInput]>('canaryCommand');
