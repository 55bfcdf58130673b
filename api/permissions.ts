// Who may change an environment by hand (roll back, deploy), the same rule for every door: the environment's
// `deployers`, else its approvers. Slack users have no roles, so in Slack an environment with neither list is
// closed; a REST token additionally needs the `deploy` role, and may act alone where no list is configured.
import { findService, type EnvironmentConfig, type RunwayConfig } from '../config/schema.js';

export type Door = 'slack' | 'rest';

/** The identities allowed to change the environment by hand, or undefined when none are configured. */
export function deployersOf(env: EnvironmentConfig): string[] | undefined {
  return env.deployers ?? env.approval?.approvers;
}

/** Undefined when `who` may roll back or deploy `service` in `environment`; otherwise why not. */
export function changeRefusal(
  config: RunwayConfig,
  service: string,
  environment: string,
  who: string,
  door: Door,
): string | undefined {
  const env = findService(config, service)?.environments.find((e) => e.name === environment);
  if (!env) return undefined; // unknown targets are the caller's 404, not a permission question
  const allowed = deployersOf(env);
  if (!allowed) {
    return door === 'slack'
      ? `nobody may change ${service} in ${environment} from Slack: set deployers (or an approval gate) for it in runway.yaml`
      : undefined;
  }
  return allowed.includes(who) ? undefined : `${who} is not a deployer of ${service} in ${environment}`;
}

/** Whether `who` may approve or reject releases of `service` in `environment` (the workflow checks it again). */
export function decisionRefusal(
  config: RunwayConfig,
  service: string,
  environment: string,
  who: string,
): string | undefined {
  const env = findService(config, service)?.environments.find((e) => e.name === environment);
  if (!env) return undefined;
  if (!env.approval) return `${environment} of ${service} has no approval gate`;
  return env.approval.approvers.includes(who) ? undefined : `${who} is not an approver of ${service} in ${environment}`;
}

/** The caller is known but not allowed to do this (403). */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
}

/**
 * Undefined when `who` may deploy `service` by hand to `environments` (all of them when none is named); otherwise
 * why not. Every target naming `deployers` must include `who`. In Slack, where no target names deployers, `who` must
 * approve every gated target, and a deploy touching only unlisted, ungated environments is refused (Slack users have
 * no roles). Over REST the `deploy` role covers targets without `deployers`; approval gates still ask.
 */
export function deployRefusal(
  config: RunwayConfig,
  service: string,
  environments: string[] | undefined,
  who: string,
  door: Door,
): string | undefined {
  const svc = findService(config, service);
  if (!svc) return undefined; // the caller's 404
  const targets = environments?.length
    ? svc.environments.filter((e) => environments.includes(e.name))
    : svc.environments;
  const listed = targets.filter((e) => e.deployers);
  const notListed = listed.filter((e) => !e.deployers!.includes(who));
  if (notListed.length) return `${who} is not a deployer of ${service} in ${notListed.map((e) => e.name).join(', ')}`;
  if (door === 'rest' || listed.length) return undefined;
  const gated = targets.filter((e) => e.approval);
  if (gated.length === 0) {
    return `nobody may deploy ${service} to ${targets.map((e) => e.name).join(', ')} from Slack: set deployers in runway.yaml`;
  }
  const notApprover = gated.filter((e) => !e.approval!.approvers.includes(who));
  return notApprover.length
    ? `${who} is not an approver of ${service} in ${notApprover.map((e) => e.name).join(', ')}`
    : undefined;
}

/** Undefined when `who` approves every gated environment named `environment` (any service); else why not. */
export function environmentApproverRefusal(config: RunwayConfig, environment: string, who: string): string | undefined {
  const gates = Object.values(config.services)
    .flatMap((s) => s.environments)
    .filter((e) => e.name === environment && e.approval);
  if (gates.length === 0) return undefined;
  return gates.every((e) => e.approval!.approvers.includes(who))
    ? undefined
    : `only approvers of ${environment} can do this`;
}
