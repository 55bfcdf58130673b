// `/runway deploy`, `/runway freeze`, `/runway unfreeze`: the deploy bot's commands, as functions from the
// command text to the reply text. Forcing a deploy and freezing are approvers' calls.
import { escapeMrkdwn, mention } from '../../integrations/slack-blocks.js';
import { parseDuration } from '../../config/duration.js';
import type { Approval, DeployService } from '../deploy-service.js';
import { HttpError } from '../errors.js';
import { deployRefusal, environmentApproverRefusal } from '../permissions.js';
import type { SlackDeps } from './deps.js';
import { code, shortSha, slackDate } from './format.js';
import { releaseIdKind } from '../../domain/ids.js';

export interface DeployCommandDeps extends SlackDeps {
  deploys?: Pick<DeployService, 'deploy' | 'freeze' | 'unfreeze' | 'freezes' | 'releaseDetails' | 'rollbackTo'>;
}

interface User {
  id: string;
  name?: string;
}

/** Splits command text into words, keeping "quoted phrases" (straight or Slack's curly quotes) together. */
export function words(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|“([^”]*)”|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

function service(deps: DeployCommandDeps): NonNullable<DeployCommandDeps['deploys']> {
  if (!deps.deploys) throw new HttpError(503, 'unavailable', 'deploys are not available on this Runway');
  return deps.deploys;
}

/**
 * Users may only freeze environments they could approve a release into (when any service gates it). By Slack user
 * id only: a username can be changed to look like an approver's.
 */
function mayApprove(deps: SlackDeps, environment: string, user: User): boolean {
  return environmentApproverRefusal(deps.config, environment, user.id) === undefined;
}

export const DEPLOY_HELP = [
  '• `deploy <service> <sha|tag> [to <environment>] [--force "reason"]`: deploy any built version (approvers may force through a closed window)',
  '• `freeze <environment> [until <time|duration>] [reason]` / `unfreeze <environment>`: stop or allow deploys',
  '• `freezes`: what is frozen',
].join('\n');

/** `/runway deploy payments v1.4.2 to production --force "hotfix for INC-7"` */
export async function deployCommand(deps: DeployCommandDeps, args: string[], user: User): Promise<string> {
  const [svc, version, ...rest] = args;
  if (!svc || !version) return 'Usage: `/runway deploy <service> <sha|tag> [to <environment>] [--force "reason"]`';
  let environment: string | undefined;
  let force: { reason: string } | undefined;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === 'to' && rest[i + 1]) environment = rest[++i];
    else if (rest[i] === '--force') {
      const reason = rest[i + 1];
      if (!reason || reason.startsWith('--')) return 'A forced deploy needs a reason: `--force "why"`.';
      force = { reason };
      i++;
    } else return `I did not understand ${code(rest[i]!)}. ${DEPLOY_HELP.split('\n')[0]}`;
  }
  const refusal = deployRefusal(deps.config, svc, environment ? [environment] : undefined, user.id, 'slack');
  if (refusal) return `Not allowed: ${escapeMrkdwn(refusal)}.`;
  const started = await service(deps).deploy({ service: svc, version, environment, by: user.id, force });
  const where = started.environments.map(code).join(' → ');
  const forced = force ? ` :warning: forced: _${escapeMrkdwn(force.reason)}_` : '';
  return `:rocket: Deploying ${code(svc)} ${code(shortSha(started.sha))} to ${where} (${code(started.releaseId)}).${forced}`;
}

/** `/runway freeze production until 2026-12-01T08:00Z "database migration"` or `… until 2h incident` */
export async function freezeCommand(deps: DeployCommandDeps, args: string[], user: User): Promise<string> {
  const [environment, ...rest] = args;
  if (!environment) return 'Usage: `/runway freeze <environment> [until <time|duration>] [reason]`';
  if (!mayApprove(deps, environment, user)) return `Not allowed: only approvers of ${code(environment)} can freeze it.`;
  let until: string | undefined;
  if (rest[0] === 'until') {
    const when = rest[1];
    if (!when) return 'Until when? An ISO time (`2026-12-01T08:00Z`) or a duration (`2h`).';
    until = /^\d+(\.\d+)?\s*(ms|s|m|h|d)$/.test(when) ? new Date(Date.now() + parseDuration(when)).toISOString() : when;
    rest.splice(0, 2);
  }
  const freeze = await service(deps).freeze({
    environment,
    by: user.id,
    reason: rest.join(' '),
    until,
  });
  const end = freeze.until ? ` until ${slackDate(freeze.until)}` : ' until `/runway unfreeze`';
  return `:snowflake: ${code(environment)} is frozen${end}: _${escapeMrkdwn(freeze.reason)}_. Releases reaching it wait.`;
}

export async function unfreezeCommand(deps: DeployCommandDeps, args: string[], user: User): Promise<string> {
  const [environment] = args;
  if (!environment) return 'Usage: `/runway unfreeze <environment>`';
  if (!mayApprove(deps, environment, user))
    return `Not allowed: only approvers of ${code(environment)} can unfreeze it.`;
  const { wasFrozen } = await service(deps).unfreeze({ environment, by: user.id });
  return wasFrozen
    ? `:sunny: ${code(environment)} is open again; queued releases go at their next check.`
    : `${code(environment)} was not frozen.`;
}

export async function freezesCommand(deps: DeployCommandDeps): Promise<string> {
  const freezes = await service(deps).freezes();
  if (freezes.length === 0) return 'Nothing is frozen at runtime (planned freezes are in runway.yaml).';
  return [
    '*Frozen*',
    ...freezes.map(
      (f) =>
        `• ${code(f.environment)} by ${mention(f.by)} ${f.until ? `until ${slackDate(f.until)}` : 'until unfrozen'}: _${escapeMrkdwn(f.reason)}_`,
    ),
  ].join('\n');
}

/** `/runway history <service>`: the last 10 releases with their merge request and who approved them. */
export async function historyCommand(deps: DeployCommandDeps, serviceName: string): Promise<string> {
  const { releases } = await deps.releases.list({ service: serviceName, pageSize: 10 });
  if (releases.length === 0) return `No releases of ${code(serviceName)} yet.`;
  const sorted = releases.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
  const details = await Promise.all(
    sorted.map((r) =>
      service(deps)
        .releaseDetails(r.releaseId)
        .catch(() => ({ approvals: [] as Approval[] })),
    ),
  );
  return [
    `*${escapeMrkdwn(serviceName)}*, newest first:`,
    ...sorted.map((r, i) => {
      const d = details[i] as { mrTitle?: string; mrUrl?: string; approvals: Approval[] };
      const what =
        r.workflowType === 'rollbackWorkflow'
          ? `rollback of ${escapeMrkdwn(r.environment ?? '?')}`
          : releaseIdKind(r.releaseId) === 'deploy'
            ? 'deploy'
            : 'release';
      const mr = d.mrTitle
        ? ` — ${d.mrUrl ? `<${d.mrUrl.replace(/[|>]/g, '')}|${escapeMrkdwn(d.mrTitle)}>` : escapeMrkdwn(d.mrTitle)}`
        : '';
      const approvers = d.approvals.map((a) => `${mention(a.by)} (${escapeMrkdwn(a.environment)})`);
      const approved = approvers.length ? `, approved by ${approvers.join(', ')}` : '';
      return `• ${code(shortSha(r.commit))} ${what}${mr}: ${(r.status ?? 'unknown').replace(/_/g, ' ')}, started ${slackDate(r.startedAt)}${approved}`;
    }),
  ].join('\n');
}

/** `/runway rollback <service> <env> to <version>` (the approver check is the caller's, as for plain rollbacks). */
export async function rollbackToCommand(deps: DeployCommandDeps, args: string[], user: User): Promise<string> {
  const [svc, environment, , version] = args;
  const { rollbackId, image } = await service(deps).rollbackTo({
    service: svc!,
    environment: environment!,
    version: version!,
    by: user.id,
  });
  return `↩️ Rolling back ${code(svc!)} in ${code(environment!)} to ${code(image)} (${code(rollbackId)}).`;
}

/** `/runway status` without a service: every release in flight, and what is frozen. */
export async function overviewCommand(deps: DeployCommandDeps): Promise<string> {
  const { releases } = await deps.releases.list({ pageSize: 50 });
  const running = releases.filter((r) => r.temporalStatus === 'RUNNING');
  const freezes = deps.deploys ? await deps.deploys.freezes() : [];
  const lines = [running.length ? `*In flight* (${running.length}):` : 'Nothing in flight.'];
  for (const r of running) {
    const stage = r.stage ? ` at ${code(r.stage)}` : '';
    lines.push(
      `• ${code(r.service ?? '?')} ${code(shortSha(r.commit))}: ${(r.status ?? 'running').replace(/_/g, ' ')}${stage}`,
    );
  }
  if (freezes.length) lines.push(`:snowflake: Frozen: ${freezes.map((f) => code(f.environment)).join(', ')}`);
  lines.push('`/runway status <service>` for what each environment runs.');
  return lines.join('\n');
}
