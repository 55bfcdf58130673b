// GitLabPort over the GitLab REST API through @gitbeaker/rest: pipeline status for a commit, the
// environment's deployment record, and the release's note on the merge request. Every write is safe to
// repeat, because activities are retried after failures that may have happened after GitLab acted.
import type { FailedJob, PipelineState } from '../domain/types.js';
import type { CommitRelation, GitLabPort, PipelineInfo } from '../activities/ports.js';
import { connectGitLab, type GitLabConnection, type GitLabConnectionOptions } from './gitlab-api.js';
import { gitlabFailure, PermanentGitLabError } from './gitlab-errors.js';

export { GitLabError, PermanentGitLabError } from './gitlab-errors.js';
export { DEFAULT_REQUEST_TIMEOUT_MS, type GitLabConnectionOptions } from './gitlab-api.js';

const PAGE_SIZE = 100;

/** GitLab's pipeline statuses, folded into Runway's. Unknown future ones keep the wait going. */
export function pipelineState(status: string): PipelineState {
  switch (status) {
    case 'success':
    case 'failed':
    case 'canceled':
    case 'skipped':
    case 'running':
      return status;
    case 'canceling':
      return 'canceled';
    // `manual`: blocked on a manual job; still not done, so the pipeline timeout decides.
    default:
      return 'pending';
  }
}

export function createGitLabClient(options: GitLabConnectionOptions): GitLabPort {
  const gitlab = connectGitLab(options);
  const { api, call } = gitlab;
  const ancestry = new AncestryCache();

  return {
    async latestPipeline(projectId, sha) {
      const pipelines = await call('list pipelines', () =>
        api.Pipelines.all(projectId, { sha, orderBy: 'id', sort: 'desc', page: 1, perPage: 20 }),
      );
      // Child pipelines share the sha but count through their parent's trigger job, not on their own.
      const pipeline = pipelines.find((p) => p.source !== 'parent_pipeline');
      if (!pipeline) return null;
      const info: PipelineInfo = { id: pipeline.id, status: pipelineState(pipeline.status), webUrl: pipeline.web_url };
      if (info.status === 'failed') {
        const job = await blockingFailedJob(gitlab, projectId, pipeline.id);
        if (job) info.failedJob = job;
      }
      return info;
    },

    async ensureDeployment({ projectId, environment, sha, ref }) {
      const running = await call('list deployments', () =>
        api.Deployments.all(projectId, {
          environment,
          status: 'running',
          orderBy: 'id',
          sort: 'desc',
          perPage: PAGE_SIZE,
        }),
      );
      // The one a lost reply (or a killed worker) already created: same environment and sha, still running, and
      // made through the API (no CI job behind it). The deployments API has no sha filter, hence the scan.
      const existing = running.find((d) => d.sha === sha && !d.deployable);
      if (existing) return { id: existing.id };
      const created = await call('create deployment', () =>
        api.Deployments.create(projectId, environment, sha, ref, false, { status: 'running' }),
      );
      return { id: created.id };
    },

    async updateDeployment(projectId, deploymentId, status) {
      try {
        await api.Deployments.edit(projectId, deploymentId, status);
      } catch (err) {
        if (gitlabFailure(err).status !== 400) throw gitlab.mapError(err, 'update deployment');
        // GitLab refuses a transition to the state a deployment is already in (400): that is a retry of an
        // update that landed. Any other refused transition will be refused again.
        const current = await call('show deployment', () => api.Deployments.show(projectId, deploymentId));
        if (current.status === status) return;
        throw new PermanentGitLabError(
          `GitLab deployment ${deploymentId} of project ${projectId} cannot go from ${current.status} to ${status}`,
          400,
        );
      }
    },

    async relateCommits(projectId, a, b) {
      return ancestry.get(projectId, a, b, () => relateCommits(gitlab, projectId, a, b));
    },

    async upsertMergeRequestNote({ projectId, mrIid, marker, body }) {
      // The marker is what finds the note again; without it every call would add a note.
      const text = body.includes(marker) ? body : `${body}\n\n${marker}`;
      const existing = await findNote(gitlab, projectId, mrIid, marker);
      if (existing) {
        if (existing.body !== text) {
          await call('edit merge request note', () =>
            api.MergeRequestNotes.edit(projectId, mrIid, existing.id, { body: text }),
          );
        }
        return { noteId: existing.id };
      }
      const created = await call('create merge request note', () =>
        api.MergeRequestNotes.create(projectId, mrIid, text),
      );
      return { noteId: created.id };
    },
  };
}

/** The earliest failed job that was not allowed to fail: the one that failed the pipeline. */
async function blockingFailedJob(
  { api, call }: GitLabConnection,
  projectId: string,
  pipelineId: number,
): Promise<FailedJob | undefined> {
  const jobs = await call('list pipeline jobs', () =>
    api.Jobs.all(projectId, { pipelineId, scope: 'failed', perPage: PAGE_SIZE }),
  );
  const job = jobs.filter((j) => !j.allow_failure).sort((a, b) => a.id - b.id)[0];
  return job ? { name: job.name, stage: job.stage, url: job.web_url } : undefined;
}

/** Pages through the MR's notes, oldest first (the release's note is usually early), and stops at a match. */
async function findNote(
  { api, call }: GitLabConnection,
  projectId: string,
  mrIid: number,
  marker: string,
): Promise<{ id: number; body: string } | undefined> {
  for (let page: number | null = 1; page;) {
    const current: number = page;
    const { data, paginationInfo } = await call('list merge request notes', () =>
      api.MergeRequestNotes.all(projectId, mrIid, {
        sort: 'asc',
        orderBy: 'created_at',
        page: current,
        perPage: PAGE_SIZE,
        showExpanded: true,
      }),
    );
    const note = data.find((n) => !n.system && n.body.includes(marker));
    if (note) return note;
    page = paginationInfo.next;
  }
  return undefined;
}

/**
 * Ancestry through GitLab's merge-base API (lib/api/repositories.rb): the merge base of a and b is a when a is
 * an ancestor of b. GitLab answers 400 "Could not find ref" for a commit it does not know and 404 when the two
 * share no history; then each commit's date (for a merge commit: when it was merged) is all that orders them.
 */
async function relateCommits(
  { api, call, mapError }: GitLabConnection,
  projectId: string,
  a: string,
  b: string,
): Promise<CommitRelation> {
  const same = (x: string, y: string) => x.startsWith(y.toLowerCase()) || y.startsWith(x.toLowerCase());
  if (same(a, b)) return { relation: 'same' };
  let baseId: string | undefined;
  try {
    baseId = (await api.Repositories.mergeBase(projectId, [a, b])).id;
  } catch (err) {
    const failure = gitlabFailure(err);
    if (failure.status === 400 && /could not find ref/i.test(failure.description)) {
      return { relation: 'unknown', missing: [a, b].filter((ref) => failure.description.includes(ref)) };
    }
    if (failure.status !== 404 || !/merge base/i.test(failure.description)) throw mapError(err, 'merge base');
  }
  if (baseId && same(baseId, a)) return { relation: 'ancestor' };
  if (baseId && same(baseId, b)) return { relation: 'descendant' };
  const [ca, cb] = await Promise.all([a, b].map((sha) => call('show commit', () => api.Commits.show(projectId, sha))));
  return { relation: 'diverged', aCommittedAt: String(ca!.committed_date), bCommittedAt: String(cb!.committed_date) };
}

/** Answers about ancestry never change: keep the most recent few thousand, per process. */
class AncestryCache {
  private readonly answers = new Map<string, CommitRelation>();
  constructor(private readonly limit = 5_000) {}

  async get(projectId: string, a: string, b: string, ask: () => Promise<CommitRelation>): Promise<CommitRelation> {
    const key = `${projectId}\0${a}\0${b}`;
    const known = this.answers.get(key);
    if (known) return known;
    const answer = await ask();
    // "unknown" may change once GitLab has the commit (a push still on its way): never cached.
    if (answer.relation !== 'unknown') {
      if (this.answers.size >= this.limit) this.answers.delete(this.answers.keys().next().value!);
      this.answers.set(key, answer);
    }
    return answer;
  }
}
