// What `/runway …` does, as plain functions from the command text to the reply text. Every action is checked
// against runway.yaml by Slack user id (api/permissions.ts, the same rules as REST); approvals then go through the
// workflow's validator like the buttons do.
import { escapeMrkdwn } from '../../integrations/slack-blocks.js';
import { UnknownServiceError } from '../../config/plan.js';
import type { EnvironmentConfig, ServiceConfig } from '../../config/schema.js';
import { findService } from '../../config/schema.js';
import { changeRefusal, decisionRefusal } from '../permissions.js';
import {
  AlreadyEndedError,
  ConflictError,
  DecisionRefusedError,
  InvalidRequestError,
  NotFoundError,
  type ReleaseSummary,
} from '../release-service.js';
import { TemporalSlowError, TemporalUnavailableError } from '../temporal-availability.js';
import type { SlackDeps } from './deps.js';
import { code, shortSha, slackDate } from './format.js';
import {
  DEPLOY_HELP,
  deployCommand,
  freezeCommand,
  freezesCommand,
  historyCommand,
  overviewCommand,
  rollbackToCommand,
  unfreezeCommand,
  type DeployCommandDeps,
  words,
} from './deploy-commands.js';
import { HttpError } from '../errors.js';
import { CANARY_HELP, canaryCommand } from './canary-commands.js';
import { INCIDENT_HELP, incidentsCommand, silenceCommand, type IncidentCommandDeps } from './incident-commands.js';

/** The Slack user running the command. Only `id` is checked against runway.yaml; `name` is for display. */
export interface Invoker {
  id: string;
  name?: string;
}

export const HELP = [
  '*Runway* — `/runway <command>`',
  '• `status <service>`: what each environment runs, and releases in flight; `status` alone: every release in flight',
  '• `history <service>`: the last 10 releases',
  '• `approve <service> <environment>` / `reject <service> <environment>`: decide the release waiting there',
  '• `rollback <service> <environment> [to <version>]`: go back to the version before the current one (or to a given sha/tag)',
  DEPLOY_HELP,
  CANARY_HELP,
  INCIDENT_HELP,
  '• `help`: this message',
].join('\n');

/** A problem with what the user typed; its message is the reply. */
class UsageError extends Error {}

function requireService(deps: SlackDeps, name: string | undefined): ServiceConfig {
  if (!name) throw new UsageError('Which service? See `/runway help`.');
  const svc = findService(deps.config, name);
  if (svc) return svc;
  const known = Object.keys(deps.config.services).sort().map(code).join(', ') || 'none';
  throw new UsageError(`Unknown service ${code(name)}. Known services: ${known}.`);
}

function requireEnvironment(deps: SlackDeps, service: string | undefined, env: string | undefined): EnvironmentConfig {
  const svc = requireService(deps, service);
  if (!env) throw new UsageError(`Which environment of ${code(service!)}? See \`/runway help\`.`);
  const found = svc.environments.find((e) => e.name === env);
  if (found) return found;
  const known = svc.environments.map((e) => code(e.name)).join(', ');
  throw new UsageError(`${code(service!)} has no environment ${code(env)}. Its environments: ${known}.`);
}

function label(status: string | undefined): string {
  return (status ?? 'unknown').replace(/_/g, ' ');
}

function describeRelease(r: ReleaseSummary): string {
  const what =
    r.workflowType === 'rollbackWorkflow'
      ? `rollback of ${escapeMrkdwn(r.environment ?? '?')}`
      : r.workflowType === 'externalDeployWorkflow' // recorded by the watcher (docs/watch.md)
        ? `external deploy to ${escapeMrkdwn(r.environment ?? '?')}`
        : 'release';
  const stage = r.stage ? ` at ${code(r.stage)}` : '';
  return `${code(shortSha(r.commit))} ${what}: ${label(r.status)}${stage}, started ${slackDate(r.startedAt)}`;
}

const newestFirst = (a: ReleaseSummary, b: ReleaseSummary) => (b.startedAt ?? '').localeCompare(a.startedAt ?? '');

async function status(deps: SlackDeps, service: string | undefined): Promise<string> {
  requireService(deps, service);
  const [versions, { releases }] = await Promise.all([
    deps.releases.currentVersions(service!),
    deps.releases.list({ service, pageSize: 20 }),
  ]);
  const lines = [`*${escapeMrkdwn(service!)}*`];
  for (const v of versions) {
    const now = v.image ? `${code(v.image)} since ${slackDate(v.deployedAt)}` : 'nothing deployed by Runway yet';
    lines.push(`• *${escapeMrkdwn(v.environment)}*: ${now}`);
  }
  const running = releases.filter((r) => r.temporalStatus === 'RUNNING').sort(newestFirst);
  lines.push(running.length ? 'In flight:' : 'Nothing in flight.', ...running.map((r) => `• ${describeRelease(r)}`));
  return lines.join('\n');
}

async function history(deps: SlackDeps, service: string | undefined): Promise<string> {
  requireService(deps, service);
  const { releases } = await deps.releases.list({ service, pageSize: 10 });
  if (releases.length === 0) return `No releases of ${code(service!)} yet.`;
  return [
    `*${escapeMrkdwn(service!)}*, newest first:`,
    ...releases.sort(newestFirst).map((r) => `• ${describeRelease(r)}`),
  ].join('\n');
}

async function decide(deps: SlackDeps, decision: 'approve' | 'reject', args: string[], user: Invoker): Promise<string> {
  const [service, env] = args;
  const envConfig = requireEnvironment(deps, service, env);
  if (!envConfig.approval) return `${code(env!)} of ${code(service!)} has no approval gate.`;
  const refusal = decisionRefusal(deps.config, service!, env!, user.id);
  if (refusal) return `Not allowed: ${escapeMrkdwn(refusal)}.`;
  const releaseId = await deps.releases.awaitingApproval(service!, env!);
  if (!releaseId) return `No release of ${code(service!)} is waiting for approval in ${code(env!)}.`;
  try {
    const result = await deps.releases.decide(releaseId, decision, { environment: env!, approver: user.id });
    if ('pending' in result) {
      return `⏳ Handed ${code(releaseId)} your decision for ${code(env!)}; Runway is busy and records it in a moment.`;
    }
  } catch (err) {
    if (err instanceof DecisionRefusedError) return `Not allowed: ${escapeMrkdwn(err.message)}`;
    if (err instanceof AlreadyEndedError) return `Too late: ${escapeMrkdwn(err.message)}.`;
    throw err;
  }
  const verb = decision === 'approve' ? '✅ Approved' : '❌ Rejected';
  return `${verb} ${code(releaseId)} for ${code(env!)}.`;
}

async function rollback(deps: SlackDeps, args: string[], user: Invoker): Promise<string> {
  const [service, env] = args;
  requireEnvironment(deps, service, env);
  // The environment's deployers (else its approvers), by user id: the same rule as the REST route.
  const refusal = changeRefusal(deps.config, service!, env!, user.id, 'slack');
  if (refusal) return `Not allowed: ${escapeMrkdwn(refusal)}.`;
  if (args[2] === 'to' && args[3]) return rollbackToCommand(deps, args, user);
  const { rollbackId, image, alreadyRunning } = await deps.releases.rollback(service!, env!, user.id);
  if (alreadyRunning)
    return `↩️ Already rolling back ${code(service!)} in ${code(env!)} to ${code(image)} (${code(rollbackId)}).`;
  return `↩️ Rolling back ${code(service!)} in ${code(env!)} to ${code(image)} (${code(rollbackId)}).`;
}

/** Runs one `/runway` command; errors the user can act on become the reply, anything else is thrown. */
export async function runSubcommand(deps: SlackDeps, text: string, user: Invoker): Promise<string> {
  const [name = 'help', ...args] = text.trim().split(/\s+/).filter(Boolean);
  const quoted = words(text).slice(1);
  try {
    switch (name.toLowerCase()) {
      case 'help':
        return HELP;
      case 'status':
        return args[0] ? await status(deps, args[0]) : await overviewCommand(deps);
      case 'history':
        // The deploy bot's history also names the merge request and the approvers.
        if ((deps as DeployCommandDeps).deploys && args[0] && findService(deps.config, args[0])) {
          return await historyCommand(deps, args[0]);
        }
        return await history(deps, args[0]);
      case 'approve':
      case 'reject':
        return await decide(deps, name.toLowerCase() as 'approve' | 'reject', args, user);
      case 'rollback':
        return await rollback(deps, args, user);
      case 'deploy':
        return await deployCommand(deps, quoted, user);
      case 'freeze':
        return await freezeCommand(deps, quoted, user);
      case 'unfreeze':
        return await unfreezeCommand(deps, quoted, user);
      case 'freezes':
        return await freezesCommand(deps);
      case 'promote':
      case 'abort':
        return await canaryCommand(deps, name.toLowerCase() as 'promote' | 'abort', args, user);
      case 'incidents':
        return await incidentsCommand(deps as IncidentCommandDeps);
      case 'silence':
        return await silenceCommand(deps, args, user);
      default:
        return `Unknown command ${code(name)}.\n${HELP}`;
    }
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    if (err instanceof HttpError && err.status === 503) return `:warning: ${escapeMrkdwn(err.message)}`;
    if (err instanceof HttpError && err.status < 500) return escapeMrkdwn(err.message);
    if (err instanceof HttpError) return `:warning: ${escapeMrkdwn(err.message)}`;
    if (
      err instanceof NotFoundError ||
      err instanceof ConflictError ||
      err instanceof AlreadyEndedError ||
      err instanceof InvalidRequestError ||
      err instanceof UnknownServiceError
    ) {
      return escapeMrkdwn(err.message);
    }
    if (err instanceof TemporalUnavailableError) return 'Runway cannot reach Temporal right now; try again shortly.';
    if (err instanceof TemporalSlowError)
      return 'Temporal is busy and did not answer in time; try again in a few seconds.';
    throw err;
  }
}
