// `/runway incidents` and `/runway silence <service> <environment> [1h]`: incidents between releases
// (docs/watch.md). Silencing is a change to the environment's alerting: the same people as a rollback may do it.
import { escapeMrkdwn } from '../../integrations/slack-blocks.js';
import { formatDuration } from '../../integrations/incident-blocks.js';
import { findService } from '../../config/schema.js';
import type { IncidentService } from '../incidents.js';
import { changeRefusal } from '../permissions.js';
import type { IncidentSummary } from '../../workflows/watch-messages.js';
import { code, slackDate } from './format.js';

export const INCIDENT_HELP = [
  '• `incidents`: open incidents between releases, and the last closed ones',
  '• `silence <service> <environment> [1h]`: no new incident there for a while',
].join('\n');

export interface IncidentCommandDeps {
  incidents?: Pick<IncidentService, 'list' | 'silence'>;
}

function line(i: IncidentSummary): string {
  const what = i.kind === 'drift' ? 'drift' : i.health;
  const where = `*${escapeMrkdwn(i.service)}* ${escapeMrkdwn(i.environment)}`;
  if (i.closedAt) {
    const lasted = i.durationSeconds !== undefined ? `, lasted ${formatDuration(i.durationSeconds * 1000)}` : '';
    return `• ${where}: ${escapeMrkdwn(what)}, closed ${slackDate(i.closedAt)}${lasted}`;
  }
  const silenced = i.silencedUntil ? ` 🔕 until ${slackDate(i.silencedUntil)}` : '';
  return `• ${where}: ${escapeMrkdwn(what)} since ${slackDate(i.openedAt)} (${code(i.application)})${silenced}`;
}

export async function incidentsCommand(deps: IncidentCommandDeps): Promise<string> {
  if (!deps.incidents) return 'Incidents are not available here.';
  const { open, recent, watchers } = await deps.incidents.list();
  const lines: string[] = [];
  for (const w of watchers) {
    if (!w.running) lines.push(`:warning: The watcher of Argo CD ${code(w.instance)} is not running.`);
    if (w.outageSince)
      lines.push(`:warning: Cannot watch Argo CD ${code(w.instance)} since ${slackDate(w.outageSince)}.`);
  }
  lines.push(open.length ? `*Open incidents* (${open.length}):` : 'No open incident.', ...open.map(line));
  if (recent.length) lines.push('*Recently closed:*', ...recent.slice(0, 5).map(line));
  return lines.join('\n');
}

export async function silenceCommand(
  deps: IncidentCommandDeps & { config: Parameters<typeof findService>[0] },
  args: string[],
  user: { id: string },
): Promise<string> {
  if (!deps.incidents) return 'Incidents are not available here.';
  const [service, environment, duration = '1h'] = args;
  if (!service || !environment) return 'Usage: `/runway silence <service> <environment> [1h]`';
  const svc = findService(deps.config, service);
  if (!svc?.environments.some((e) => e.name === environment)) {
    return `${code(service)} has no environment ${code(environment)}.`;
  }
  const refusal = changeRefusal(deps.config, service, environment, user.id, 'slack');
  if (refusal) return `Not allowed: ${escapeMrkdwn(refusal)}.`;
  const { until } = await deps.incidents.silence(service, environment, user.id, duration);
  return `🔕 No new incident for ${code(service)} in ${code(environment)} until ${slackDate(until)}.`;
}
