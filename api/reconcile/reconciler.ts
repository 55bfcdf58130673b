// No merge is ever lost. GitLab never redelivers a webhook that failed, and disables a hook that keeps failing
// (5xx: for a while, growing to a day; 4xx: until someone re-enables it). So at startup and every few minutes this
// lists each configured project's recently merged merge requests through the API and starts every release that is
// missing (idempotent: the release id is service + commit, so one a webhook already started is left alone). It also
// reads the project's webhooks and warns (log, metric, Slack) when Runway's is missing or disabled.
import type { Logger } from 'pino';
import { connectGitLab, type GitLabConnection } from '../../integrations/gitlab-api.js';
import type { SlackApi } from '../../integrations/slack.js';
import type { RunwayConfig } from '../../config/schema.js';
import { isCommitSha } from '../../domain/ids.js';
import type { ReleaseService } from '../release-service.js';
import { isTemporalUnavailable } from '../temporal-availability.js';
import { reconcileRuns, reconcileStarted, webhookHealthy } from './metrics.js';

/** Listings overlap by this much, so a merge whose updated_at lands just before the last pass is not missed. */
const OVERLAP_MS = 10 * 60_000;
const MAX_PAGES = 10;

export type HookState = 'ok' | 'missing' | 'disabled' | 'temporarily_disabled' | 'unknown';

export interface ProjectReport {
  project: string;
  /** Release ids started by this pass (webhooks that never arrived). */
  started: string[];
  /** Merges whose release already existed. */
  existing: number;
  hook: HookState;
  error?: string;
}

export interface ReconcilerOptions {
  config: RunwayConfig;
  releases: Pick<ReleaseService, 'plan' | 'start'>;
  logger: Logger;
  /** Default: a client for config.gitlab. */
  gitlab?: GitLabConnection;
  /** Where hook warnings go (config.slack.defaultChannel); none: log and metric only. */
  slack?: { api: Pick<SlackApi, 'postMessage'>; channel: string };
  now?: () => number;
}

interface MergedRequest {
  iid: number;
  title: string;
  target_branch: string;
  merge_commit_sha?: string | null;
  squash_commit_sha?: string | null;
  sha?: string | null;
  merged_at?: string | null;
  updated_at?: string;
  web_url?: string;
  merge_user?: { username?: string } | null;
  author?: { username?: string } | null;
}

interface ProjectHook {
  url: string;
  merge_requests_events?: boolean;
  alert_status?: string;
  disabled_until?: string | null;
}

export class MergeReconciler {
  private readonly gitlab: GitLabConnection;
  private readonly now: () => number;
  /** Per project: the start of the last pass that listed and started everything. */
  private readonly caughtUpTo = new Map<string, number>();
  private readonly hookStates = new Map<string, HookState>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<ProjectReport[]>;

  constructor(private readonly options: ReconcilerOptions) {
    const gitlab = options.config.gitlab;
    if (!options.gitlab && !gitlab) throw new Error('the merge catch-up needs the gitlab section');
    this.gitlab = options.gitlab ?? connectGitLab({ url: gitlab!.url, token: gitlab!.token });
    this.now = options.now ?? Date.now;
  }

  private get settings() {
    return this.options.config.gitlab?.reconcile ?? { enabled: true, interval: 180_000, lookback: 6 * 3_600_000 };
  }

  /** A pass now, then one every `reconcile.interval`; the timer never keeps the process alive. */
  start(): this {
    const tick = () => {
      this.runOnce().catch((err: unknown) => {
        this.options.logger.error({ err: (err as Error).message }, 'merge catch-up failed');
      });
    };
    tick();
    this.timer = setInterval(tick, this.settings.interval);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass over every configured project; concurrent callers share it. */
  runOnce(): Promise<ProjectReport[]> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<ProjectReport[]> {
    const projects = new Map<string, string[]>();
    for (const [name, service] of Object.entries(this.options.config.services)) {
      projects.set(service.gitlab.project, [...(projects.get(service.gitlab.project) ?? []), name]);
    }
    const reports: ProjectReport[] = [];
    for (const [project, services] of projects) reports.push(await this.reconcileProject(project, services));
    return reports;
  }

  private async reconcileProject(project: string, services: string[]): Promise<ProjectReport> {
    const { logger } = this.options;
    const report: ProjectReport = { project, started: [], existing: 0, hook: 'unknown' };
    report.hook = await this.checkHook(project);
    const passStart = this.now();
    const since = (this.caughtUpTo.get(project) ?? passStart - this.settings.lookback + OVERLAP_MS) - OVERLAP_MS;
    let merged: MergedRequest[];
    try {
      merged = await this.gitlab.call('list merged merge requests', () =>
        this.gitlab.api.MergeRequests.all({
          projectId: project,
          state: 'merged',
          updatedAfter: new Date(since).toISOString(),
          orderBy: 'updated_at',
          sort: 'asc',
          perPage: 100,
          maxPages: MAX_PAGES,
        }),
      );
    } catch (err) {
      report.error = (err as Error).message;
      reconcileRuns().inc({ project, outcome: 'gitlab_error' });
      logger.warn({ project, err: report.error }, 'merge catch-up: cannot list merged merge requests');
      return report;
    }

    // Oldest merge first, so releases start in the order their commits landed.
    merged.sort((a, b) => (a.merged_at ?? a.updated_at ?? '').localeCompare(b.merged_at ?? b.updated_at ?? ''));
    try {
      for (const mr of merged) {
        const sha = (mr.merge_commit_sha ?? mr.squash_commit_sha ?? mr.sha ?? '').toLowerCase();
        if (!isCommitSha(sha)) continue;
        for (const service of services) {
          const svc = this.options.config.services[service]!;
          if (!svc.triggerBranches.includes(mr.target_branch)) continue;
          const plan = this.options.releases.plan(service, {
            sha,
            ref: mr.target_branch,
            title: mr.title,
            mergeRequest: { iid: mr.iid, title: mr.title, url: mr.web_url ?? '' },
            triggeredBy: mr.merge_user?.username ?? mr.author?.username,
          });
          const { created } = await this.options.releases.start(plan);
          if (!created) {
            report.existing += 1;
            continue;
          }
          report.started.push(plan.releaseId);
          reconcileStarted().inc({ project });
          logger.warn(
            { project, releaseId: plan.releaseId, mergeRequest: mr.iid },
            'merge catch-up: started a release no webhook had started',
          );
        }
      }
    } catch (err) {
      // Temporal down (or any start failing): keep the old mark, so the next pass lists these merges again.
      report.error = (err as Error).message;
      const outcome = isTemporalUnavailable(err) ? 'temporal_unavailable' : 'start_failed';
      reconcileRuns().inc({ project, outcome });
      logger.warn({ project, err: report.error, started: report.started.length }, 'merge catch-up interrupted');
      return report;
    }
    this.caughtUpTo.set(project, passStart);
    reconcileRuns().inc({ project, outcome: 'ok' });
    return report;
  }

  /** Reads the project's webhooks; warns once per change when Runway's is missing or disabled. */
  private async checkHook(project: string): Promise<HookState> {
    let state: HookState;
    let detail = '';
    try {
      const hooks = (await this.gitlab.call('list project hooks', () =>
        this.gitlab.api.ProjectHooks.all(project, { perPage: 100, maxPages: 2 }),
      )) as unknown as ProjectHook[];
      const ours = hooks.filter((h) => h.merge_requests_events && /\/webhooks\/gitlab\/?(\?|$)/.test(h.url));
      const usable = ours.find((h) => isUsable(h, this.now()));
      if (usable) state = 'ok';
      else if (ours.length === 0) state = 'missing';
      else {
        const hook = ours[0]!;
        state = hook.alert_status === 'disabled' ? 'disabled' : 'temporarily_disabled';
        if (hook.disabled_until) detail = ` until ${hook.disabled_until}`;
      }
    } catch (err) {
      // Listing hooks needs the Maintainer role; without it the catch-up still works, only this check does not.
      if (this.hookStates.get(project) !== 'unknown') {
        this.options.logger.info({ project, err: (err as Error).message }, 'cannot read the project webhooks');
      }
      this.hookStates.set(project, 'unknown');
      return 'unknown';
    }
    webhookHealthy().set({ project }, state === 'ok' ? 1 : 0);
    const before = this.hookStates.get(project);
    this.hookStates.set(project, state);
    if (state !== 'ok' && before !== state) await this.warnHook(project, state, detail);
    return state;
  }

  private async warnHook(project: string, state: HookState, detail: string): Promise<void> {
    const every = Math.round(this.settings.interval / 60_000) || 1;
    const what =
      state === 'missing'
        ? `has no merge request webhook to Runway (…/webhooks/gitlab)`
        : `has its Runway webhook ${state === 'disabled' ? 'disabled' : `temporarily disabled${detail}`}`;
    const text = `:warning: GitLab project ${project} ${what}. Merges are still released by Runway's catch-up (every ${every} min), but later than they should be: fix the webhook in the project's settings.`;
    this.options.logger.warn({ project, hook: state, detail: detail.trim() || undefined }, 'gitlab webhook problem');
    const slack = this.options.slack;
    if (!slack) return;
    await slack.api.postMessage({ channel: slack.channel, text }).catch((err: unknown) => {
      this.options.logger.warn(
        { project, err: (err as Error).message },
        'webhook warning could not be posted to Slack',
      );
    });
  }
}

function isUsable(hook: ProjectHook, now: number): boolean {
  if (hook.alert_status === 'disabled') return false;
  const until = hook.disabled_until ? Date.parse(hook.disabled_until) : NaN;
  if (until > now) return false;
  // GitLab re-enables a temporarily disabled hook once disabled_until has passed.
  return hook.alert_status !== 'temporarily_disabled' || until <= now;
}
