// Pure Block Kit for an incident's one Slack message (rebuilt whole on every update) and the watcher's
// "cannot watch" warning. The buttons carry the incident's service and environment; who may press them is
// checked by the front door (api/slack/incident-actions.ts), as for rollbacks.
import type { Button, MrkdwnElement, PlainTextElement } from '@slack/types';
import { incidentDurationMs, type Incident } from '../domain/watch.js';
import { escapeMrkdwn, mention, type SlackBlock, type SlackMessage } from './slack-blocks.js';

export const INCIDENT_ROLLBACK_ACTION_ID = 'runway_incident_rollback';
export const INCIDENT_SILENCE_ACTION_ID = 'runway_incident_silence';
export const INCIDENT_ACTIONS_BLOCK_ID = 'runway_incident_actions';

export interface IncidentButtonValue {
  incidentId: string;
  service: string;
  environment: string;
  /** Rollback: the tag to go back to. */
  tag?: string;
}

export function incidentButtonValue(value: IncidentButtonValue): string {
  return JSON.stringify(value);
}

export function parseIncidentButtonValue(value: string): IncidentButtonValue | null {
  try {
    const v = JSON.parse(value) as Partial<IncidentButtonValue>;
    if (typeof v.incidentId !== 'string' || typeof v.service !== 'string' || typeof v.environment !== 'string') {
      return null;
    }
    return {
      incidentId: v.incidentId,
      service: v.service,
      environment: v.environment,
      ...(typeof v.tag === 'string' ? { tag: v.tag } : {}),
    };
  } catch {
    return null;
  }
}

const plain = (text: string): PlainTextElement => ({ type: 'plain_text', text, emoji: true });
const md = (text: string): MrkdwnElement => ({ type: 'mrkdwn', text });
const code = (text: string) => `\`${escapeMrkdwn(text.replace(/`/g, "'"))}\``;

function slackTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
}

/** `4m 12s`, `2h 5m`, `45s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${sec}s`;
  return `${sec}s`;
}

function what(i: Incident): string {
  if (i.kind === 'drift') return 'drifted: live objects differ from the revision it was synced to';
  return i.health === 'Missing' ? 'Missing: its resources are not there' : 'Degraded';
}

/** What it was, once closed: the incident's kind in the past tense. */
function wasWhat(i: Incident): string {
  if (i.kind === 'drift') return 'had drifted from the revision it was synced to';
  return (i.badHealth ?? i.health) === 'Missing' ? 'was Missing' : 'was Degraded';
}

/** What Argo CD reported when it recovered (the watcher stores the status that closed it). */
function recoveredAs(i: Incident): string {
  const health = escapeMrkdwn(i.health);
  return i.kind === 'drift' ? `${escapeMrkdwn(i.sync)} and ${health}` : health;
}

/** The opening line: what the app is while the incident is open, what it was (and is now) once closed. */
function stateLine(i: Incident): string {
  const app = `*App* ${code(i.application)} in *${escapeMrkdwn(i.environment)}*`;
  if (!i.closedAt) return `${app} is ${what(i)}.`;
  if (i.closedReason) return `${app} ${wasWhat(i)}.`;
  return `${app} ${wasWhat(i)}; it is ${recoveredAs(i)} again.`;
}

function argoSays(i: Incident): string {
  const message = i.healthMessage ? ` — ${escapeMrkdwn(i.healthMessage.slice(0, 300))}` : '';
  // Argo CD's sync status is measured against the branch head (status.sync.revision), which moves on with
  // commits that do not touch this app; what runs is the revision the last sync applied. Name both when they differ.
  const short = (rev: string) => code(rev.slice(0, 8));
  const revision = !i.revision
    ? ''
    : i.syncRevision && i.syncRevision !== i.revision
      ? ` against branch head ${short(i.syncRevision)}; last synced ${short(i.revision)}`
      : ` at ${short(i.revision)}`;
  return `health *${escapeMrkdwn(i.health)}*${message}; sync *${escapeMrkdwn(i.sync)}*${revision}`;
}

export function buildIncidentMessage(i: Incident): SlackMessage {
  const closed = !!i.closedAt;
  const duration = incidentDurationMs(i);
  const title = closed
    ? `✅ ${i.service} ${i.environment}: resolved${duration !== undefined && !i.closedReason ? ` after ${formatDuration(duration)}` : ''}`
    : `🚨 ${i.service} ${i.environment}: ${i.kind === 'drift' ? 'drift' : i.health}`;
  const lines = [
    stateLine(i),
    `*Argo CD says* ${argoSays(i)}`,
    `*${closed ? 'Began' : 'Since'}* ${slackTime(i.openedAt)}${i.flaps ? ` (went bad again ${i.flaps}× since)` : ''}`,
  ];
  const last = i.context?.lastRelease;
  if (last) {
    const approved = last.approvedBy ? `, approved by ${mention(last.approvedBy)}` : '';
    const image = last.image ? ` (${code(last.image)})` : '';
    lines.push(`*Last release* ${code(last.releaseId)}${image}${approved}`);
  } else lines.push('*Last release* none by Runway found');
  const links = i.context?.links ?? {};
  const linkLine = [
    links.argocd && `<${links.argocd}|Argo CD>`,
    links.logs && `<${links.logs}|Logs>`,
    links.commit && `<${links.commit}|Commit>`,
  ].filter(Boolean);
  const blocks: SlackBlock[] = [
    { type: 'header', text: plain(title.slice(0, 150)) },
    { type: 'section', text: md(lines.join('\n')) },
  ];
  if (linkLine.length) blocks.push({ type: 'context', elements: [md(linkLine.join(' · '))] });
  if (closed) {
    const how = i.closedReason
      ? `Closed: ${escapeMrkdwn(i.closedReason)}.`
      : `${recoveredAs(i)} again since ${slackTime(i.recoveredAt ?? i.closedAt!)}; lasted *${formatDuration(duration ?? 0)}*.`;
    blocks.push({ type: 'section', text: md(how) });
  } else {
    if (i.recoveredAt) {
      blocks.push({
        type: 'context',
        elements: [md(`Recovered at ${slackTime(i.recoveredAt)}; closes if it stays that way.`)],
      });
    }
    if (i.silencedUntil) {
      blocks.push({
        type: 'context',
        elements: [md(`🔕 Silenced by ${mention(i.silencedBy ?? 'someone')} until ${slackTime(i.silencedUntil)}.`)],
      });
    }
    const base = { incidentId: i.id, service: i.service, environment: i.environment };
    const rollbackTo = i.context?.rollbackTo;
    const buttons: Button[] = [];
    if (rollbackTo) {
      buttons.push({
        type: 'button',
        action_id: INCIDENT_ROLLBACK_ACTION_ID,
        style: 'danger',
        value: incidentButtonValue({ ...base, tag: rollbackTo.tag }),
        text: plain(`Roll back to ${rollbackTo.tag}`.slice(0, 75)),
      });
    }
    buttons.push({
      type: 'button',
      action_id: INCIDENT_SILENCE_ACTION_ID,
      value: incidentButtonValue(base),
      text: plain('Silence 1 h'),
    });
    blocks.push({ type: 'actions', block_id: INCIDENT_ACTIONS_BLOCK_ID, elements: buttons });
  }
  const text = closed
    ? `${i.service} ${i.environment}: resolved (${formatDuration(duration ?? 0)})`
    : `${i.service} ${i.environment}: ${what(i)}`;
  return { text, blocks };
}

export function buildOutageMessage(input: {
  instance: string;
  since: string;
  message: string;
  resolvedAt?: string;
}): SlackMessage {
  const text = input.resolvedAt
    ? `Runway watches Argo CD ${input.instance} again`
    : `Runway cannot watch Argo CD ${input.instance}`;
  const detail = input.resolvedAt
    ? `Reachable again since ${slackTime(input.resolvedAt)} (unreachable since ${slackTime(input.since)}).`
    : `Since ${slackTime(input.since)}: ${escapeMrkdwn(input.message.slice(0, 500))}\nNo incidents can open until it answers again.`;
  return {
    text,
    blocks: [
      { type: 'header', text: plain(`${input.resolvedAt ? '✅' : '⚠️'} ${text}`) },
      { type: 'section', text: md(detail) },
    ],
  };
}
