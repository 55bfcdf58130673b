// Promote and Abort for a release's running canary, for every door (Slack buttons, `/runway promote|abort`,
// REST): who may (the environment's approvers, else its deployers, from runway.yaml; the workflow checks its own
// list again), which release runs a canary there, and the `canaryCommand` update with its refusals mapped.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { findService, type RunwayConfig } from '../config/schema.js';
import {
  canaryCommandUpdate,
  type CanaryCommandAction,
  type CanaryCommandResult,
} from '../workflows/canary-messages.js';
import { AlreadyEndedError, DecisionRefusedError, NotFoundError, type ReleaseService } from './release-service.js';

/** Undefined when `who` may promote or abort the canary of `service` in `environment`; otherwise why not. */
export function canaryRefusal(
  config: RunwayConfig,
  service: string,
  environment: string,
  who: string,
): string | undefined {
  const env = findService(config, service)?.environments.find((e) => e.name === environment);
  if (!env) return `${service} has no environment ${environment}`;
  if (!env.rollout) return `${environment} of ${service} is not a canary (no rollout in runway.yaml)`;
  const allowed = env.approval?.approvers ?? env.deployers ?? [];
  return allowed.includes(who) ? undefined : `${who} is not an approver of ${service} in ${environment}`;
}

export class CanaryService {
  constructor(
    private readonly client: Client,
    private readonly config: RunwayConfig,
    private readonly releases: Pick<ReleaseService, 'list' | 'temporal'>,
  ) {}

  /** The running release whose canary is under way for `service` (in `environment`, or its only canary one). */
  async find(service: string, environment?: string): Promise<{ releaseId: string; environment: string }> {
    const svc = findService(this.config, service);
    if (!svc) throw new NotFoundError(`unknown service ${service}`);
    const canaryEnvs = svc.environments.filter((e) => e.rollout).map((e) => e.name);
    if (environment && !canaryEnvs.includes(environment)) {
      throw new NotFoundError(`${environment} of ${service} is not a canary environment (no rollout in runway.yaml)`);
    }
    const { releases } = await this.releases.list({ service, status: 'running', pageSize: 20 });
    const running = releases.filter(
      (r) =>
        r.temporalStatus === 'RUNNING' &&
        r.stage?.startsWith('canary:') &&
        (!environment || r.stage === `canary:${environment}`),
    );
    const found = running[0];
    if (!found) {
      const where = environment ?? canaryEnvs.join(' or ');
      throw new NotFoundError(`no canary of ${service} is running${where ? ` in ${where}` : ''}`);
    }
    return { releaseId: found.releaseId, environment: found.stage!.slice('canary:'.length) };
  }

  async command(
    releaseId: string,
    input: { environment: string; by: string; action: CanaryCommandAction },
  ): Promise<CanaryCommandResult> {
    const handle = this.client.workflow.getHandle(releaseId);
    try {
      return await this.releases.temporal.slowCall(() => handle.executeUpdate(canaryCommandUpdate, { args: [input] }));
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new DecisionRefusedError(err.cause?.message ?? err.message);
      if (
        err instanceof WorkflowNotFoundError ||
        /workflow execution already completed/i.test((err as Error).message)
      ) {
        throw new AlreadyEndedError(`${releaseId} already ended`);
      }
      throw err;
    }
  }
}
