// Keeps the release's timeline (the status query's answer) and mirrors it into search attributes
// and the UI's current details, so operators see the same thing in the API and in the Temporal UI.
import { setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type {
  ReleaseAction,
  ReleasePlan,
  ReleaseStatus,
  ReleaseTimeline,
  StageOf,
  StageRecord,
  StageState,
} from '../domain/types.js';
import { stageSummary, type StageDetailsByKind, type StageKind } from '../domain/stage-details.js';
import { RunwayEnvironment, RunwayStage, RunwayStatus } from '../domain/search-attributes.js';
import { releaseIdKind, shortSha } from '../domain/ids.js';
import { workflowNow } from './clock.js';
import { TIMELINE_MEMO_KEY, memoTimeline } from '../domain/timeline-memo.js';
import { formatImageRef } from '../domain/image-ref.js';

export class TimelineRecorder {
  readonly timeline: ReleaseTimeline;
  /** The constructor records the trigger before the workflow runs; the memo is written from the first stage on. */
  private started = false;

  /**
   * @param memo patched('timeline-memo'): the timeline is also kept in the workflow's memo, so the API reads it
   *   from Temporal without asking the worker (a busy or absent worker never delays a status read).
   */
  constructor(
    private readonly plan: ReleasePlan,
    private readonly memo = false,
  ) {
    this.timeline = {
      releaseId: plan.releaseId,
      service: plan.service,
      commit: plan.commit.sha,
      status: 'running',
      stage: 'image',
      stages: [],
      warnings: [],
      links: {},
    };
    if (plan.project.webUrl) this.timeline.links.project = plan.project.webUrl;
    if (plan.mergeRequest) this.timeline.links.mergeRequest = plan.mergeRequest.url;
    // Query state only (no commands): replay-safe for running releases.
    this.timeline.actions = [];
    if (plan.triggeredBy) {
      const action = releaseIdKind(plan.releaseId) === 'rollback' ? 'rollback' : 'deploy';
      const environment = action === 'rollback' ? plan.environments[0]?.name : undefined;
      this.action({ action, by: plan.triggeredBy, environment });
    }
  }

  /** Records who asked for something; never touches history. */
  action(entry: Omit<ReleaseAction, 'at'>): void {
    this.timeline.actions!.push({ ...entry, at: workflowNow().toISOString() });
    this.flushMemo();
  }

  begin<K extends StageKind>(kind: K, environment?: string, details?: StageDetailsByKind[K]): StageOf<K> {
    const startedAt = workflowNow().toISOString();
    // The same JSON as ever (saved histories and memos hold it): details is always an object.
    const stage = { kind, environment, state: 'running', startedAt, details: details ?? {} } as StageOf<K>;
    this.timeline.stages.push(stage as StageRecord);
    this.timeline.stage = environment ? `${kind}:${environment}` : kind;
    this.publish(environment);
    return stage;
  }

  end<S extends StageRecord>(stage: S, state: StageState, details?: S['details']): void {
    stage.state = state;
    stage.endedAt = workflowNow().toISOString();
    if (details) Object.assign(stage.details, details);
    this.publish(stage.environment);
  }

  setStatus(status: ReleaseStatus, error?: string): void {
    this.timeline.status = status;
    if (error !== undefined) this.timeline.error = error;
    this.publish();
  }

  warn(message: string): void {
    this.timeline.warnings.push(message);
    this.flushMemo();
  }

  link(name: string, url: string): void {
    this.timeline.links[name] = url;
    // Links given at the start are written with the first stage, not one memo write each.
    if (this.timeline.stages.length) this.flushMemo();
  }

  /** Writes the timeline into the memo (a command in the current workflow task, no extra round trip). */
  flushMemo(): void {
    if (this.memo && this.started) upsertMemo({ [TIMELINE_MEMO_KEY]: memoTimeline(this.timeline) });
  }

  private publish(environment?: string): void {
    const updates = [
      { key: RunwayStatus, value: this.timeline.status },
      { key: RunwayStage, value: this.timeline.stage },
      ...(environment ? [{ key: RunwayEnvironment, value: environment }] : []),
    ];
    upsertSearchAttributes(updates);
    this.started = true;
    this.flushMemo();
    setCurrentDetails(this.summary());
  }

  /** Markdown shown in the Temporal UI's "current details": paragraphs and a list, one stage per line. */
  summary(): string {
    const t = this.timeline;
    const paragraphs = [
      `**${this.plan.service}** \`${shortSha(this.plan.commit.sha)}\` → \`${formatImageRef(this.plan.image)}\``,
      `Status: **${t.status.replace(/_/g, ' ')}** · stage: \`${t.stage}\``,
    ];
    if (t.stages.length) {
      paragraphs.push(
        t.stages
          .map((s) => {
            const where = s.environment ? ` · ${s.environment}` : '';
            // Window, verify, soak and canary stages carry a one-line summary ("queued: …; opens at …").
            const summary = stageSummary(s);
            const note = summary && s.state === 'running' ? ` — ${summary}` : '';
            return `- ${STATE_MARK[s.state]} ${s.kind}${where}: ${s.state}${note}`;
          })
          .join('\n'),
      );
    }
    if (t.error) paragraphs.push(`**Error:** ${t.error}`);
    if (t.warnings.length) paragraphs.push(t.warnings.map((w) => `- ⚠️ ${w}`).join('\n'));
    // Blank lines between paragraphs: markdown joins single newlines into one line.
    return paragraphs.join('\n\n');
  }
}

const STATE_MARK: Record<StageState, string> = {
  pending: '⚪',
  running: '⏳',
  succeeded: '✅',
  failed: '❌',
  skipped: '⏭️',
  cancelled: '⛔',
};
