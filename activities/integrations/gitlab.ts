// GitLabPort over the GitLab REST API through @gitbeaker/rest: pipeline status for a commit, the
// environment's deployment record, and the release's note on the merge request. Every write is safe to
// repeat, because activities are retried after failures that may have happened after GitLab acted.
import type { FailedJob, PipelineState } from '../../domain/types.js';
import type { GitLabPort, PipelineInfo } from '../ports.js';
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
