// Pure Block Kit builders for the one Slack message a release gets. The whole message is rebuilt
// from the timeline on every notification, so an update never depends on what Slack currently shows.
import type {
  ActionsBlock,
  Button,
  ContextBlock,
  HeaderBlock,
  KnownBlock,
  MrkdwnElement,
  PlainTextElement,
  SectionBlock,
} from '@slack/types';
import { ENDED_RELEASE_STATUSES } from '../domain/types.js';
import type { ReleaseStatus, ReleaseTimeline, StageOf, StageRecord, StageState } from '../domain/types.js';
import type { ReleaseNotification } from '../activities/ports.js';
import type { NotificationKind } from '../domain/notification.js';
import type { DeployStageDetails, RollbackStageDetails } from '../domain/stage-details.js';
import { canaryBlocks } from './slack-canary-blocks.js';

// The blocks Runway writes: Block Kit as @slack/types defines it, narrowed to the text objects and elements
// Runway puts in them (mrkdwn sections and contexts, button-only actions), so readers need not check.
export type SectionOfText = Omit<SectionBlock, 'text'> & { text: MrkdwnElement };
export type ContextOfText = Omit<ContextBlock, 'elements'> & { elements: MrkdwnElement[] };
export type ActionsOfButtons = Omit<ActionsBlock, 'elements'> & { elements: Button[] };
export type SlackBlock = HeaderBlock | SectionOfText | ContextOfText | ActionsOfButtons;

export interface SlackMessage {
  /** Plain-text fallback shown in notifications and by clients that cannot render blocks. */
  text: string;
  blocks: SlackBlock[];
}

export const APPROVE_ACTION_ID = 'runway_approve';
export const REJECT_ACTION_ID = 'runway_reject';
/** block_id of the approval buttons, so the front door can find and replace them. */
export const APPROVAL_BLOCK_ID = 'runway_approval';

// Slack limits (docs.slack.dev/reference/block-kit): 50 blocks, header 150 chars, section/context text 3000,
// button value 2000.
const MAX_BLOCKS = 50;
const HEADER_MAX = 150;
const TEXT_MAX = 3000;
const BUTTON_VALUE_MAX = 2000;

const STATUS: Record<ReleaseStatus, { emoji: string; label: string }> = {
  running: { emoji: ':hourglass_flowing_sand:', label: 'running' },
  queued: { emoji: ':double_vertical_bar:', label: 'queued (window closed or frozen)' },
  awaiting_approval: { emoji: ':raised_hand:', label: 'awaiting approval' },
  succeeded: { emoji: ':white_check_mark:', label: 'succeeded' },
  failed: { emoji: ':x:', label: 'failed' },
  rolled_back: { emoji: ':leftwards_arrow_with_hook:', label: 'rolled back' },
  rollback_failed: { emoji: ':rotating_light:', label: 'rollback failed' },
  rejected: { emoji: ':no_entry_sign:', label: 'rejected' },
  expired: { emoji: ':alarm_clock:', label: 'approval expired' },
  superseded: { emoji: ':fast_forward:', label: 'superseded' },
  cancelled: { emoji: ':heavy_multiplication_x:', label: 'cancelled' },
};

const STATE_EMOJI: Record<StageState, string> = {
  pending: ':white_circle:',
  running: ':arrows_counterclockwise:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  skipped: ':fast_forward:',
  cancelled: ':heavy_multiplication_x:',
};

/** Escapes the three characters Slack treats as control sequences, so names and errors cannot ping `<!channel>`. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function code(text: string): string {
  return `\`${escapeMrkdwn(text.replace(/`/g, "'"))}\``;
}

function shortSha(sha: string): string {
  return sha.slice(0, 8);
}

/** `<@U123>` for Slack user ids, `@name` for anything else (approvers may be configured by username). */
export function mention(user: string): string {
  return SLACK_USER_ID.test(user) ? `<@${user}>` : `@${escapeMrkdwn(user)}`;
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/**
 * Escaped text in which the given users (ids Runway recorded: who aborted, who decided) are mentioned with
 * `mention()`, so a workflow's plain "aborted by U024BE7LH" reads as the person in Slack.
 */
export function escapeWithMentions(text: string, users: readonly (string | undefined)[]): string {
  const ids = [...new Set(users)].filter((u): u is string => !!u && SLACK_USER_ID.test(u));
  if (!ids.length) return escapeMrkdwn(text);
  // Ids are letters and digits only, so they need no regex escaping; \b keeps U1 from matching inside U12.
  return escapeMrkdwn(text).replace(new RegExp(`\\b(${ids.join('|')})\\b`, 'g'), (id) => mention(id));
}

/** Slack renders this in each reader's time zone; the ISO text is the fallback. */
function slackTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
}

function link(url: string, label: string): string {
  // `|` and `>` would end the link early; `&` must be escaped like any other text.
  const safeUrl = escapeMrkdwn(url.replace(/\|/g, '%7C'));
  return `<${safeUrl}|${escapeMrkdwn(label)}>`;
}

function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text: truncate(text, TEXT_MAX) };
}

/** A detail worth a line: set and not empty. */
function shown(value: string | number | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : String(value);
}

function stageTitle(stage: StageRecord): string {
  const name = stage.kind.charAt(0).toUpperCase() + stage.kind.slice(1);
  return stage.environment ? `${name} · ${escapeMrkdwn(stage.environment)}` : name;
}

type Decision = 'approved' | 'rejected' | 'expired';
type ApprovalStage = StageOf<'approval'>;

function approvalDecision(stage: ApprovalStage): Decision | undefined {
  const explicit = stage.details.decision;
  if (explicit === 'approved' || explicit === 'rejected') return explicit;
  if (stage.details.expired === true) return 'expired';
  if (stage.state === 'succeeded') return 'approved';
  return undefined;
}

function decisionLine(stage: ApprovalStage): string | undefined {
  const decision = approvalDecision(stage);
  if (!decision) return undefined;
  const by = shown(stage.details.decidedBy);
  const at = shown(stage.details.decidedAt) ?? stage.endedAt;
  const when = at ? ` at ${slackTime(at)}` : '';
  if (decision === 'expired') return `:alarm_clock: Approval expired${when}`;
  const who = by ? ` by ${mention(by)}` : '';
  return decision === 'approved' ? `:white_check_mark: Approved${who}${when}` : `:no_entry_sign: Rejected${who}${when}`;
}

function deployImageLines(d: DeployStageDetails, releaseImage: string | undefined): string[] {
  const image = shown(d.image) ?? releaseImage;
  const previous = shown(d.previousImage);
  const lines = [previous && image ? `${code(previous)} → ${code(image)}` : image ? code(image) : ''];
  if (d.bumped === false) lines.push('Manifest already had this image');
  return lines.filter(Boolean);
}

function rollbackImageLines(d: RollbackStageDetails): string[] {
  const [from, to] = [shown(d.from), shown(d.to)];
  return from && to ? [`${code(from)} → ${code(to)}`] : [];
}

/** The infra commit and Argo CD's verdict, on the stages that change an environment. */
function syncLines(d: DeployStageDetails | RollbackStageDetails): string[] {
  const lines: string[] = [];
  const infra = shown(d.infraCommit);
  if (infra) lines.push(`Infra commit ${code(shortSha(infra))}`);
  const health = shown(d.health);
  const argocd = shown(d.argocdUrl);
  const argocdLink = argocd ? link(argocd, 'Argo CD') : undefined;
  const healthLine = [health && `Health: ${escapeMrkdwn(health)}`, argocdLink].filter(Boolean).join('  ·  ');
  if (healthLine) lines.push(healthLine);
  return lines;
}

function imageStageLines(stage: StageOf<'image'>): string[] {
  const d = stage.details;
  const lines: string[] = [];
  const image = shown(d.image);
  if (image) lines.push(code(image));
  if (d.buildSkipped === true) lines.push('Already in the registry, build skipped');
  const pipelineUrl = shown(d.pipelineUrl);
  const pipeline = `Pipeline ${shown(d.pipelineId) ?? ''}`.trim();
  const status = shown(d.pipelineStatus);
  if (pipelineUrl || status) {
    lines.push(`${pipelineUrl ? link(pipelineUrl, pipeline) : pipeline}${status ? `: ${escapeMrkdwn(status)}` : ''}`);
  }
  const job = shown(d.failedJob);
  const jobUrl = shown(d.failedJobUrl);
  if (job || jobUrl) lines.push(`Failed job ${jobUrl ? link(jobUrl, job ?? 'job') : code(job!)}`);
  return lines;
}

function approvalStageLines(stage: ApprovalStage): string[] {
  const lines: string[] = [];
  const decided = decisionLine(stage);
  const approvers = shown(stage.details.approvers);
  if (decided) lines.push(decided);
  else if (approvers && stage.state === 'running') {
    lines.push(`Approvers: ${approvers.split(/,\s*/).filter(Boolean).map(mention).join(', ')}`);
  }
  const supersededBy = shown(stage.details.supersededBy);
  if (supersededBy) lines.push(`Superseded by ${code(supersededBy)}`);
  return lines;
}

/** Window, verify, soak and canary stages say where they are in one line (e.g. "error-rate 0.2 % ≤ 1 %, 3 of 10"). */
function summaryLines(summary: string | undefined, users: readonly (string | undefined)[] = []): string[] {
  const text = shown(summary);
  return text ? [escapeWithMentions(text, users)] : [];
}

function errorLines(error: string | undefined, users: readonly (string | undefined)[] = []): string[] {
  const text = shown(error);
  return text ? [`:warning: _${escapeWithMentions(text, users)}_`] : [];
}

/** The users a timeline names by id: approvers who decided, approvers who promoted or aborted a canary. */
function namedUsers(t: ReleaseTimeline): string[] {
  return t.stages.flatMap((s) =>
    s.kind === 'approval' ? [s.details.decidedBy ?? ''] : s.kind === 'canary' ? [s.details.commandBy ?? ''] : [],
  );
}

/** What a stage's section says under its title: the details of its kind. */
function stageLines(stage: StageRecord, releaseImage: string | undefined, users: readonly string[]): string[] {
  switch (stage.kind) {
    case 'image':
      return [...imageStageLines(stage), ...errorLines(stage.details.error, users)];
    case 'approval':
      return [...approvalStageLines(stage), ...errorLines(stage.details.error, users)];
    case 'deploy':
      return [
        ...deployImageLines(stage.details, releaseImage),
        ...syncLines(stage.details),
        ...errorLines(stage.details.error, users),
      ];
    case 'rollback':
      return [
        ...rollbackImageLines(stage.details),
        ...syncLines(stage.details),
        ...errorLines(stage.details.error, users),
      ];
    case 'queue':
      return errorLines(stage.details.error, users);
    case 'window':
    case 'soak':
      return summaryLines(stage.details.summary);
    case 'verify':
      return [...summaryLines(stage.details.summary), ...errorLines(stage.details.error, users)];
    case 'canary': {
      const { summary, error } = stage.details;
      // An abort's summary and error say the same ("aborted by … at …"): once is enough.
      return [...summaryLines(summary, users), ...errorLines(error === summary ? undefined : error, users)];
    }
  }
}

function stageSection(stage: StageRecord, releaseImage: string | undefined, users: readonly string[]): SectionOfText {
  const lines = [
    `*${stageTitle(stage)}*  ${STATE_EMOJI[stage.state]} ${stage.state}`,
    ...stageLines(stage, releaseImage, users),
  ];
  return { type: 'section', text: mrkdwn(lines.join('\n')) };
}

function lastApprovalStage(timeline: ReleaseTimeline, environment?: string): ApprovalStage | undefined {
  return timeline.stages.findLast(
    (s): s is ApprovalStage => s.kind === 'approval' && (environment === undefined || s.environment === environment),
  );
}

export interface ApprovalButtonValue {
  releaseId: string;
  environment: string;
}

export function approvalButtonValue(value: ApprovalButtonValue): string {
  const json = JSON.stringify({ releaseId: value.releaseId, environment: value.environment });
  if (json.length > BUTTON_VALUE_MAX) throw new Error(`approval button value exceeds ${BUTTON_VALUE_MAX} characters`);
  return json;
}

/** Reads a button value back; null for anything Runway did not produce. */
export function parseApprovalButtonValue(value: string): ApprovalButtonValue | null {
  try {
    const parsed = JSON.parse(value) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { releaseId, environment } = parsed as Record<string, unknown>;
    if (typeof releaseId !== 'string' || typeof environment !== 'string') return null;
    return { releaseId, environment };
  } catch {
    return null;
  }
}

function approvalBlocks(n: ReleaseNotification): SlackBlock[] {
  const environment = n.environment ?? lastApprovalStage(n.timeline)?.environment;
  if (!environment) return [];
  const approvers = n.approvers?.length ? ` Approvers: ${n.approvers.map(mention).join(', ')}` : '';
  const value = approvalButtonValue({ releaseId: n.timeline.releaseId, environment });
  return [
    {
      type: 'section',
      text: mrkdwn(`:raised_hand: Approval needed to deploy to *${escapeMrkdwn(environment)}*.${approvers}`),
    },
    {
      type: 'actions',
      block_id: APPROVAL_BLOCK_ID,
      elements: [
        { type: 'button', action_id: APPROVE_ACTION_ID, style: 'primary', value, text: plain('Approve') },
        { type: 'button', action_id: REJECT_ACTION_ID, style: 'danger', value, text: plain('Reject') },
      ],
    },
  ];
}

const ENDED = ENDED_RELEASE_STATUSES;

/**
 * Why an approval that was asked for and never decided can no longer be given, once the release ended
 * (expired, superseded, cancelled, rolled back…): shown where the buttons were.
 */
export function approvalClosedLine(t: ReleaseTimeline): string | undefined {
  if (!ENDED.has(t.status)) return undefined;
  const stage = lastApprovalStage(t);
  if (!stage || stage.details.decision) return undefined;
  const env = stage.environment ? ` for *${escapeMrkdwn(stage.environment)}*` : '';
  const supersededBy = shown(stage.details.supersededBy);
  const why =
    stage.details.expired === true || t.status === 'expired'
      ? 'the approval window expired'
      : supersededBy
        ? `superseded by ${code(supersededBy)}`
        : t.status === 'cancelled'
          ? 'the release was cancelled'
          : `the release ended: ${STATUS[t.status].label}${t.error ? ` (${escapeWithMentions(truncate(t.error, 300), namedUsers(t))})` : ''}`;
  return `:lock: No approval needed any more${env}: ${why}.`;
}

function plain(text: string): PlainTextElement {
  return { type: 'plain_text', text, emoji: true };
}

const LINK_LABELS: Record<string, string> = {
  mergeRequest: 'Merge request',
  temporal: 'Temporal UI',
  api: 'API',
  query: 'Query',
  project: 'Project',
  pipeline: 'Pipeline',
  failedJob: 'Failed job',
  logs: 'Logs',
  argocd: 'Argo CD',
};
const LINK_ORDER = ['mergeRequest', 'project', 'pipeline', 'failedJob', 'argocd', 'logs'];

/** `argocd:staging` → `Argo CD (staging)`; unknown keys are shown as they are. */
function linkLabel(key: string): string {
  const [base = key, qualifier] = key.split(/:(.*)/s);
  const label = LINK_LABELS[base] ?? base;
  return qualifier ? `${label} (${qualifier})` : label;
}

function linkRank(key: string): number {
  const rank = LINK_ORDER.indexOf(key.split(':')[0] ?? key);
  return rank === -1 ? LINK_ORDER.length : rank;
}

function linksContext(links: Record<string, string>): ContextOfText | undefined {
  const entries = Object.entries(links)
    .filter(([, url]) => /^https?:\/\//i.test(url))
    .sort(([a], [b]) => linkRank(a) - linkRank(b) || a.localeCompare(b));
  if (entries.length === 0) return undefined;
  return { type: 'context', elements: [mrkdwn(entries.map(([key, url]) => link(url, linkLabel(key))).join('  ·  '))] };
}

function headerText(timeline: ReleaseTimeline): string {
  const { emoji, label } = STATUS[timeline.status];
  return truncate(`${emoji} ${timeline.service} ${shortSha(timeline.commit)} — ${label}`, HEADER_MAX);
}

/** What the release brings to each environment: merge requests (title, author, link), capped with "+N more". */
function notesBlocks(t: ReleaseTimeline): SlackBlock[] {
  return (t.notes ?? []).map((notes) => {
    const env = escapeMrkdwn(notes.environment);
    if (notes.unavailable) {
      return { type: 'context', elements: [mrkdwn(`No release notes for ${env}: ${escapeMrkdwn(notes.unavailable)}`)] };
    }
    if (notes.commitCount === 0) return { type: 'context', elements: [mrkdwn(`${env} already runs these changes`)] };
    const lines = [`*What this brings to ${env}* (${notes.commitCount} commit${notes.commitCount === 1 ? '' : 's'})`];
    for (const c of notes.changes) {
      const ref = c.url ? link(c.url, c.ref) : code(c.ref);
      lines.push(`• ${ref} ${escapeMrkdwn(c.title)}${c.author ? ` — ${escapeMrkdwn(c.author)}` : ''}`);
    }
    if (notes.more > 0)
      lines.push(notes.compareUrl ? `• ${link(notes.compareUrl, `+${notes.more} more`)}` : `• +${notes.more} more`);
    return { type: 'section', text: mrkdwn(lines.join('\n')) };
  });
}

export function buildReleaseMessage(n: ReleaseNotification): SlackMessage {
  const t = n.timeline;
  const tail: SlackBlock[] = [];
  const wantsButtons =
    n.kind === 'approval_requested' || (n.kind !== 'approval_decided' && t.status === 'awaiting_approval');
  if (wantsButtons) tail.push(...approvalBlocks(n));
  tail.push(...canaryBlocks(t));
  if (n.kind === 'approval_decided') {
    const stage = lastApprovalStage(t, n.environment);
    const line = stage && decisionLine(stage);
    if (line) tail.push({ type: 'context', elements: [mrkdwn(line)] });
  }
  const closed = wantsButtons ? undefined : approvalClosedLine(t);
  if (closed) tail.push({ type: 'context', elements: [mrkdwn(closed)] });
  if (t.error) {
    tail.push({ type: 'section', text: mrkdwn(`:warning: ${escapeWithMentions(t.error, namedUsers(t))}`) });
  }
  if (t.warnings.length > 0) {
    tail.push({
      type: 'context',
      elements: [mrkdwn(t.warnings.map((w) => `:grey_exclamation: ${escapeMrkdwn(w)}`).join('\n'))],
    });
  }
  const links = linksContext(t.links);
  if (links) tail.push(links);

  const head: SlackBlock[] = [
    { type: 'header', text: plain(headerText(t)) },
    {
      type: 'context',
      elements: [
        mrkdwn(`Release ${code(t.releaseId)}  ·  commit ${code(shortSha(t.commit))}  ·  stage ${code(t.stage)}`),
      ],
    },
    ...notesBlocks(t),
  ];
  // Keep within Slack's 50-block limit by dropping the oldest stages first, with a note.
  const room = MAX_BLOCKS - head.length - tail.length;
  const releaseImage = t.stages.find((s) => s.kind === 'image')?.details.image;
  const users = namedUsers(t);
  let stages: SlackBlock[] = t.stages.map((s) => stageSection(s, releaseImage, users));
  if (stages.length > room) {
    const dropped = stages.length - room + 1;
    stages = [
      { type: 'context', elements: [mrkdwn(`…${dropped} earlier stages not shown`)] },
      ...stages.slice(dropped),
    ];
  }
  return { text: fallbackText(t), blocks: [...head, ...stages, ...tail] };
}

function fallbackText(t: ReleaseTimeline): string {
  const { emoji, label } = STATUS[t.status];
  const error = t.error ? `: ${t.error}` : '';
  return truncate(`${emoji} ${t.service} ${shortSha(t.commit)} ${label} (${t.stage})${error}`, TEXT_MAX);
}

const EVENT: Record<NotificationKind, (env: string) => string> = {
  started: () => ':rocket: Release started',
  approval_requested: (env) => `:raised_hand: Approval requested${env}`,
  approval_decided: (env) => `:ballot_box_with_check: Approval decided${env}`,
  deployed: (env) => `:white_check_mark: Deployed${env}`,
  deploy_blocked: (env) => `:no_entry: Deploy blocked${env}`,
  progress: (env) => `:arrows_counterclockwise: Progress${env}`,
  succeeded: () => ':tada: Release succeeded',
  failed: (env) => `:x: Release failed${env}`,
  rolled_back: (env) => `:leftwards_arrow_with_hook: Rolled back${env}`,
  rollback_failed: (env) => `:rotating_light: Rollback failed${env}`,
  ended: () => ':checkered_flag: Release ended',
};

/** The short line about the event, for the thread. */
export function eventLine(n: ReleaseNotification): string {
  if (n.kind === 'approval_decided') {
    const stage = lastApprovalStage(n.timeline, n.environment);
    const line = stage && decisionLine(stage);
    if (line) return line;
  }
  const env = n.environment ? ` in *${escapeMrkdwn(n.environment)}*` : '';
  const base = EVENT[n.kind](env);
  return n.kind === 'ended' ? `${base}: ${STATUS[n.timeline.status].label}` : base;
}

/** Thread reply text: the event line, then the free-text detail (escaped, so it cannot mention anyone). */
export function buildThreadReply(n: ReleaseNotification): string {
  const line = eventLine(n);
  return truncate(n.detail ? `${line}\n${escapeMrkdwn(n.detail)}` : line, TEXT_MAX);
}

/**
 * For the front door: the message's blocks with the approval buttons swapped for a line of text
 * (e.g. "Approved by <@U1>"), so nobody can click twice while the workflow catches up.
 */
export function replaceApprovalActions<B extends KnownBlock>(
  blocks: readonly B[],
  line: string,
): (B | ContextOfText)[] {
  return blocks.map((b) =>
    b.type === 'actions' && b.block_id === APPROVAL_BLOCK_ID ? { type: 'context', elements: [mrkdwn(line)] } : b,
  );
}

export interface LogsUrlParams {
  service: string;
  environment: string;
  /** Epoch ms, a Date, or a relative expression such as `now-1h`. */
  from: string | number | Date;
  to: string | number | Date;
}

/**
 * Fills `{service}`, `{environment}`, `{from}`, `{to}` (also their `%7B…%7D` forms, for templates pasted
 * already encoded) with URL-encoded values. Other braces, e.g. Grafana's JSON `left=` state, are left alone.
 */
export function buildLogsUrl(template: string, params: LogsUrlParams): string {
  const asText = (v: string | number | Date): string => (v instanceof Date ? String(v.getTime()) : String(v));
  const values: Record<string, string> = {
    service: params.service,
    environment: params.environment,
    from: asText(params.from),
    to: asText(params.to),
  };
  return template.replace(/(?:\{|%7B)(service|environment|from|to)(?:\}|%7D)/gi, (whole, key: string) => {
    const value = values[key.toLowerCase()];
    return value === undefined ? whole : encodeURIComponent(value);
  });
}
