// A protocol-faithful fake of the GitLab REST API (`/api/v4`) on 127.0.0.1, built on HttpFake. State lives in
// memory (projects with a real per-branch commit graph, deployments, pipelines, MR notes) so tests can seed it,
// drive it through the real gitbeaker client, and inspect what happened. Wire facts: ../shared/research/protocols.md §A.
import { createHash } from 'node:crypto';
import { HttpFake, type Fault, type FakeRequest, type FakeResponse } from './http-fake.js';

export type TokenRole = 'write' | 'read';

export interface FakeFile {
  content: Buffer;
  blobId: string;
  /** The newest commit on this line of history that touched the file. */
  lastCommitId: string;
}

export interface FakeCommit {
  id: string;
  parentIds: string[];
  title: string;
  message: string;
  authorName: string;
  authorEmail: string;
  createdAt: string;
  /** Paths this commit created, changed or removed. */
  changed: string[];
  tree: Map<string, FakeFile>;
}

export interface FakeDeployment {
  id: number;
  iid: number;
  environment: string;
  sha: string;
  ref: string;
  tag: boolean;
  status: 'created' | 'running' | 'success' | 'failed' | 'canceled';
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** Deployments made by a CI job cannot be changed through the API (403). */
  createdByCi: boolean;
}

export interface FakeJobSeed {
  id?: number;
  name: string;
  stage: string;
  status: string;
  allow_failure?: boolean;
  failure_reason?: string;
  /** Retried jobs are hidden unless `include_retried=true`. */
  retried?: boolean;
  created_at?: string;
  started_at?: string | null;
  finished_at?: string | null;
  duration?: number | null;
  queued_duration?: number | null;
}

export interface FakePipeline {
  id: number;
  iid: number;
  sha: string;
  ref: string;
  status: string;
  source: string;
  createdAt: string;
  updatedAt: string;
  jobs: (FakeJobSeed & { id: number; allow_failure: boolean })[];
}

export interface FakeNote {
  id: number;
  body: string;
  system: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface FakeProject {
  id: number;
  path: string;
  defaultBranch: string;
  branches: Map<string, string>;
  commits: Map<string, FakeCommit>;
  environments: Map<string, { id: number; name: string; createdAt: string }>;
  deployments: FakeDeployment[];
  pipelines: FakePipeline[];
  mergeRequests: Map<number, FakeNote[]>;
  /** Lightweight tags: name → commit id. */
  tags: Map<string, string>;
  /** What a merge request is (title, author, its commits), for the commit → merge requests lookup. */
  mergeRequestDetails: Map<number, FakeMergeRequest>;
}

export interface FakeMergeRequest {
  iid: number;
  title: string;
  author: string;
  /** Commits the MR brought (its source commits and its merge commit). */
  commits: string[];
  state: 'opened' | 'merged' | 'closed';
  mergeCommitSha?: string;
}

/** A merged merge request as the list endpoint returns it (the fields Runway and most clients read). */
export interface FakeListedMergeRequest {
  id: number;
  iid: number;
  title: string;
  state: 'opened' | 'closed' | 'locked' | 'merged';
  targetBranch: string;
  sourceBranch: string;
  /** The merge commit; null for a fast-forward merge (then `sha` is the branch head). */
  mergeCommitSha: string | null;
  squashCommitSha: string | null;
  sha: string;
  createdAt: string;
  updatedAt: string;
  mergedAt: string | null;
  author: string;
  /** The MR's own commits (its latest diff's commits: what was on the source branch), oldest first. */
  commits: string[];
}

/** A project webhook as `GET /projects/:id/hooks` shows it. */
export interface FakeProjectHook {
  id: number;
  url: string;
  pushEvents: boolean;
  mergeRequestsEvents: boolean;
  pipelineEvents: boolean;
  /** `executable`, `temporarily_disabled` (after 5xx, with disabled_until) or `disabled` (after 4xx). */
  alertStatus: 'executable' | 'temporarily_disabled' | 'disabled';
  disabledUntil: string | null;
  createdAt: string;
}

type Params = Record<string, unknown>;
interface Ctx {
  req: FakeRequest;
  path: Record<string, string>;
  project: FakeProject;
  /** Query string and body merged, as Grape does: GitLab accepts either. */
  params: Params;
}
type Match = { method?: string; path?: RegExp | string };

/** The token a default FakeGitLab accepts (with write access). */
export const FAKE_GITLAB_TOKEN = 'glpat-fake-token-0123456789';

const USER = { id: 1, username: 'runway-bot', name: 'Runway Bot', state: 'active', avatar_url: null };
const DEPLOYMENT_STATUSES = ['running', 'success', 'failed', 'canceled'];
const JOB_SCOPES = [
  'created',
  'pending',
  'running',
  'failed',
  'success',
  'canceled',
  'skipped',
  'waiting_for_resource',
  'manual',
];

const sha1 = (data: string | Buffer) => createHash('sha1').update(data).digest('hex');
const blobId = (content: Buffer) => sha1(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]));
const json = (status: number, body: unknown, headers?: Record<string, string>): FakeResponse => ({
  status,
  body,
  headers,
});
const message = (status: number, text: unknown) => json(status, { message: text });
/** Grape's parameter validation answers with `error`, not `message`. */
const invalid = (text: string) => json(400, { error: text });
const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

export class FakeGitLab {
  readonly http = new HttpFake('gitlab');
  private readonly projects: FakeProject[] = [];
  private readonly tokens = new Map<string, TokenRole>();
  private readonly hooks: { method?: string; path: RegExp; run: () => void | Promise<void> }[] = [];
  private ids = {
    project: 0,
    commit: 0,
    deployment: 0,
    environment: 0,
    pipeline: 0,
    job: 1000,
    note: 0,
    mr: 0,
    hook: 0,
  };
  /** Merge requests and webhooks by project id (kept beside FakeProject so its shape stays as other code knows it). */
  private readonly mergeRequestList = new Map<number, FakeListedMergeRequest[]>();
  private readonly projectHooks = new Map<number, FakeProjectHook[]>();
  private lastTime = 0;

  constructor(options: { tokens?: Record<string, TokenRole> } = {}) {
    const tokens: Record<string, TokenRole> = options.tokens ?? { [FAKE_GITLAB_TOKEN]: 'write' };
    for (const [token, role] of Object.entries(tokens)) this.tokens.set(token, role);
    this.routes();
  }

  listen(port = 0): Promise<string> {
    return this.http.listen(port);
  }
  close(): Promise<void> {
    return this.http.close();
  }
  get url(): string {
    return this.http.url;
  }

  // ---- seeding and inspection -------------------------------------------------------------------------------

  addProject(input: { path: string; defaultBranch?: string; files?: Record<string, string> }): FakeProject {
    const project: FakeProject = {
      id: ++this.ids.project,
      path: input.path,
      defaultBranch: input.defaultBranch ?? 'main',
      branches: new Map(),
      commits: new Map(),
      environments: new Map(),
      deployments: [],
      pipelines: [],
      mergeRequests: new Map(),
      tags: new Map(),
      mergeRequestDetails: new Map(),
    };
    this.projects.push(project);
    const files = Object.fromEntries(Object.entries(input.files ?? {}).map(([p, c]) => [p, Buffer.from(c)]));
    this.writeCommit(project, project.defaultBranch, null, files, 'Initial commit', {
      name: 'Seed',
      email: 'seed@example.com',
    });
    return project;
  }

  project(idOrPath: string | number): FakeProject {
    const project = this.findProject(String(idOrPath));
    if (!project) throw new Error(`no fake project ${idOrPath}`);
    return project;
  }

  /** Someone else pushing: commits file changes (null deletes) straight onto a branch. */
  pushCommit(
    projectRef: string | number,
    branch: string,
    files: Record<string, string | null>,
    title = 'External change',
  ): FakeCommit {
    const project = this.project(projectRef);
    const changes = Object.fromEntries(Object.entries(files).map(([p, c]) => [p, c === null ? null : Buffer.from(c)]));
    return this.writeCommit(project, branch, project.branches.get(branch) ?? null, changes, title, {
      name: 'Someone Else',
      email: 'someone@example.com',
    });
  }

  /**
   * Someone merging a merge request, as GitLab's default merge method does: one commit on the source branch
   * `feature-<iid>` (forked from the target's head) carrying the files, then a merge commit on the target branch
   * whose parents are the old head and that commit. With `squash`, GitLab's fast-forward squash instead: one
   * squash commit lands on the target and `merge_commit_sha` stays null. The MR is `merged` at once and is found
   * by the list endpoint and by `commits/:sha/merge_requests`. No webhook is sent (tests decide whether one is
   * delivered).
   */
  mergeMergeRequest(
    projectRef: string | number,
    input: {
      title?: string;
      targetBranch?: string;
      files?: Record<string, string | null>;
      iid?: number;
      squash?: boolean;
    } = {},
  ): FakeListedMergeRequest {
    const project = this.project(projectRef);
    const targetBranch = input.targetBranch ?? project.defaultBranch;
    const list = this.mergeRequestList.get(project.id) ?? [];
    this.mergeRequestList.set(project.id, list);
    const iid = input.iid ?? list.reduce((max, mr) => Math.max(max, mr.iid), 0) + 1;
    const title = input.title ?? `Merge request !${iid}`;
    const sourceBranch = `feature-${iid}`;
    const base = project.branches.get(targetBranch) ?? null;
    const files = input.files ?? { [`merged/${iid}.txt`]: title };
    const changes = Object.fromEntries(Object.entries(files).map(([p, c]) => [p, c === null ? null : Buffer.from(c)]));
    const dev = { name: 'dev', email: 'dev@example.com' };
    const source = this.writeCommit(project, sourceBranch, base, changes, title, dev);
    let mergeCommitSha: string | null = null;
    let squashCommitSha: string | null = null;
    if (input.squash) {
      squashCommitSha = this.writeCommit(project, targetBranch, base, changes, title, dev).id;
    } else {
      // GitLab's default merge commit template (project setting "Merge commit message template").
      const reference = `${project.path}!${iid}`;
      const message = `Merge branch '${sourceBranch}' into '${targetBranch}'\n\n${title}\n\nSee merge request ${reference}`;
      const merge = this.writeCommit(project, targetBranch, base, changes, message, dev);
      merge.parentIds.push(source.id);
      mergeCommitSha = merge.id;
    }
    const now = this.now();
    const mr: FakeListedMergeRequest = {
      id: ++this.ids.mr,
      iid,
      title,
      state: 'merged',
      targetBranch,
      sourceBranch,
      mergeCommitSha,
      squashCommitSha,
      sha: source.id,
      createdAt: now,
      updatedAt: now,
      mergedAt: now,
      author: 'dev',
      commits: [source.id],
    };
    list.push(mr);
    if (!project.mergeRequests.has(iid)) project.mergeRequests.set(iid, []);
    return mr;
  }

  /** Adds a project webhook; its alert status can be changed later to what GitLab does after failed deliveries. */
  addProjectHook(
    projectRef: string | number,
    input: Partial<Omit<FakeProjectHook, 'id' | 'createdAt'>> & { url: string },
  ): FakeProjectHook {
    const project = this.project(projectRef);
    const hook: FakeProjectHook = {
      id: ++this.ids.hook,
      pushEvents: true,
      mergeRequestsEvents: true,
      pipelineEvents: false,
      alertStatus: 'executable',
      disabledUntil: null,
      createdAt: this.now(),
      ...input,
    };
    this.projectHooks.set(project.id, [...(this.projectHooks.get(project.id) ?? []), hook]);
    return hook;
  }

  fileAt(projectRef: string | number, path: string, ref?: string): string | undefined {
    const project = this.project(projectRef);
    return this.resolveRef(project, ref ?? project.defaultBranch)
      ?.tree.get(path)
      ?.content.toString('utf8');
  }

  /** First-parent history of a branch, newest first. */
  history(projectRef: string | number, branch?: string): FakeCommit[] {
    const project = this.project(projectRef);
    const out: FakeCommit[] = [];
    for (
      let c = this.resolveRef(project, branch ?? project.defaultBranch);
      c;
      c = project.commits.get(c.parentIds[0] ?? '')
    ) {
      out.push(c);
    }
    return out;
  }

  addPipeline(
    projectRef: string | number,
    input: { sha: string; ref?: string; status: string; source?: string; jobs?: FakeJobSeed[] },
  ): FakePipeline {
    const project = this.project(projectRef);
    const now = this.now();
    const pipeline: FakePipeline = {
      id: ++this.ids.pipeline,
      iid: project.pipelines.length + 1,
      sha: input.sha,
      ref: input.ref ?? project.defaultBranch,
      status: input.status,
      source: input.source ?? 'push',
      createdAt: now,
      updatedAt: now,
      jobs: (input.jobs ?? []).map((j) => ({
        ...j,
        id: j.id ?? ++this.ids.job,
        allow_failure: j.allow_failure ?? false,
      })),
    };
    project.pipelines.push(pipeline);
    return pipeline;
  }

  addMergeRequest(
    projectRef: string | number,
    iid: number,
    details?: Omit<FakeMergeRequest, 'iid' | 'state'> & { state?: FakeMergeRequest['state'] },
  ): void {
    const project = this.project(projectRef);
    project.mergeRequests.set(iid, []);
    if (details) project.mergeRequestDetails.set(iid, { iid, state: 'merged', ...details });
  }

  addTag(projectRef: string | number, name: string, sha: string): void {
    const project = this.project(projectRef);
    if (!project.commits.has(sha)) throw new Error(`no commit ${sha}`);
    project.tags.set(name, sha);
  }

  notes(projectRef: string | number, iid: number): FakeNote[] {
    return this.project(projectRef).mergeRequests.get(iid) ?? [];
  }

  addNote(projectRef: string | number, iid: number, body: string, system = false): FakeNote {
    const notes = this.project(projectRef).mergeRequests.get(iid);
    if (!notes) throw new Error(`no merge request !${iid}`);
    const now = this.now();
    const note = { id: ++this.ids.note, body, system, createdAt: now, updatedAt: now };
    notes.push(note);
    return note;
  }

  addDeployment(
    projectRef: string | number,
    input: Partial<FakeDeployment> & Pick<FakeDeployment, 'environment' | 'sha'>,
  ): FakeDeployment {
    const project = this.project(projectRef);
    return this.createDeployment(project, {
      ref: project.defaultBranch,
      tag: false,
      status: 'running',
      createdByCi: false,
      ...input,
    });
  }

  deployments(projectRef: string | number): FakeDeployment[] {
    return this.project(projectRef).deployments;
  }

  // ---- fault injection (delegates to HttpFake) -------------------------------------------------------------

  inject(fault: Fault, match: Match = {}, times = 1): this {
    this.http.inject(fault, match, times);
    return this;
  }

  /** GitLab's Rack::Attack throttle answer: 429, plain-text body, RateLimit-* headers and Retry-After. */
  rateLimit(match: Match = {}, times = 1, retryAfterSeconds = 1): this {
    const reset = Math.ceil(Date.now() / 1000) + retryAfterSeconds;
    return this.inject(
      {
        kind: 'rateLimit',
        retryAfterSeconds,
        body: 'Retry later\n',
        headers: {
          'Content-Type': 'text/plain',
          'RateLimit-Name': 'throttle_authenticated_api',
          'RateLimit-Limit': '2000',
          'RateLimit-Observed': '2001',
          'RateLimit-Remaining': '0',
          'RateLimit-Reset': String(reset),
          'RateLimit-ResetTime': new Date(reset * 1000).toUTCString(),
        },
      },
      match,
      times,
    );
  }

  serverError(match: Match = {}, times = 1, status = 500): this {
    const text = status === 503 ? '503 Service Unavailable' : `${status} Internal Server Error`;
    return this.inject({ kind: 'status', status, body: { message: text } }, match, times);
  }

  latency(ms: number, match: Match = {}, times = 1): this {
    return this.inject({ kind: 'latency', ms }, match, times);
  }

  connectionReset(match: Match = {}, times = 1): this {
    return this.inject({ kind: 'reset' }, match, times);
  }

  clearFaults(): void {
    this.http.clearFaults();
    this.hooks.length = 0;
  }

  /** Runs `run` once, just before the next matching request is handled (e.g. a concurrent push). Hooks armed
   * for the same requests run one per request, in the order they were armed. */
  beforeNext(match: { method?: string; path: RegExp }, run: () => void | Promise<void>): this {
    this.hooks.push({ method: match.method?.toUpperCase(), path: match.path, run });
    return this;
  }

  // ---- routing ----------------------------------------------------------------------------------------------

  private routes(): void {
    const p = '/projects/:id';
    this.http.route('GET', '/api/v4/personal_access_tokens/self', (req) => this.tokenSelf(req));
    this.api('GET', p, (c) => this.getProject(c));
    this.api('GET', `${p}/repository/files/:file_path`, (c) => this.getFile(c, false));
    this.api('GET', `${p}/repository/files/:file_path/raw`, (c) => this.getFile(c, true));
    this.api('POST', `${p}/repository/commits`, (c) => this.createCommit(c));
    this.api('GET', `${p}/repository/commits`, (c) => this.listCommits(c));
    this.api('GET', `${p}/repository/commits/:sha`, (c) => this.getCommit(c));
    this.api('GET', `${p}/repository/commits/:sha/merge_requests`, (c) => this.commitMergeRequests(c));
    this.api('GET', `${p}/repository/merge_base`, (c) => this.mergeBase(c));
    this.api('GET', `${p}/repository/compare`, (c) => this.compare(c));
    this.api('POST', `${p}/deployments`, (c) => this.postDeployment(c));
    this.api('GET', `${p}/deployments`, (c) => this.listDeployments(c));
    this.api('GET', `${p}/deployments/:deployment_id`, (c) => this.getDeployment(c));
    this.api('PUT', `${p}/deployments/:deployment_id`, (c) => this.putDeployment(c));
    this.api('GET', `${p}/pipelines`, (c) => this.listPipelines(c));
    this.api('GET', `${p}/pipelines/:pipeline_id/jobs`, (c) => this.listJobs(c));
    this.api('GET', `${p}/merge_requests/:iid/notes`, (c) => this.withNotes(c, (notes) => this.listNotes(c, notes)));
    this.api('POST', `${p}/merge_requests/:iid/notes`, (c) => this.withNotes(c, (notes) => this.createNote(c, notes)));
    this.api('GET', `${p}/merge_requests/:iid/notes/:note_id`, (c) =>
      this.withNote(c, (n) => json(200, this.noteJson(c, n))),
    );
    this.api('PUT', `${p}/merge_requests/:iid/notes/:note_id`, (c) => this.withNote(c, (n) => this.editNote(c, n)));
    this.api('GET', `${p}/merge_requests`, (c) => this.listMergeRequests(c));
    this.api('GET', `${p}/hooks`, (c) => this.listHooks(c));
  }

  // ---- merge requests and webhooks --------------------------------------------------------------------------

  // lib/api/merge_requests.rb (`GET /projects/:id/merge_requests`): `state` is one of opened/closed/locked/merged/all,
  // `updated_after`/`updated_before` are ISO 8601 times (400 `<name> is invalid` otherwise), `order_by` created_at
  // (default), updated_at, merged_at or title, `sort` desc (default) or asc, offset pagination.
  private listMergeRequests(c: Ctx): FakeResponse {
    const state = str(c.params.state) ?? 'all';
    if (!['opened', 'closed', 'locked', 'merged', 'all'].includes(state)) {
      return invalid('state does not have a valid value');
    }
    const time = (name: string): number | undefined | FakeResponse => {
      const value = str(c.params[name]);
      if (value === undefined) return undefined;
      const ms = Date.parse(value);
      return /^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(ms) ? ms : invalid(`${name} is invalid`);
    };
    const after = time('updated_after');
    const before = time('updated_before');
    if (typeof after === 'object') return after;
    if (typeof before === 'object') return before;
    const orderBy = str(c.params.order_by) ?? 'created_at';
    if (!['created_at', 'updated_at', 'merged_at', 'title'].includes(orderBy)) {
      return invalid('order_by does not have a valid value');
    }
    const sort = str(c.params.sort) ?? 'desc';
    if (!['asc', 'desc'].includes(sort)) return invalid('sort does not have a valid value');
    const target = str(c.params.target_branch);
    const key = (mr: FakeListedMergeRequest): string =>
      orderBy === 'title'
        ? mr.title
        : orderBy === 'updated_at'
          ? mr.updatedAt
          : orderBy === 'merged_at'
            ? (mr.mergedAt ?? '')
            : mr.createdAt;
    const items = (this.mergeRequestList.get(c.project.id) ?? [])
      .filter((mr) => state === 'all' || mr.state === state)
      .filter((mr) => !target || mr.targetBranch === target)
      .filter((mr) => after === undefined || Date.parse(mr.updatedAt) >= after)
      .filter((mr) => before === undefined || Date.parse(mr.updatedAt) <= before)
      .sort((a, b) => (sort === 'asc' ? 1 : -1) * key(a).localeCompare(key(b)))
      .map((mr) => this.mergeRequestJson(c.project, mr));
    return this.paginate(c.req, items);
  }

  private mergeRequestJson(project: FakeProject, mr: FakeListedMergeRequest) {
    const author = { id: 7, username: mr.author, name: mr.author, state: 'active', avatar_url: null };
    return {
      id: mr.id,
      iid: mr.iid,
      project_id: project.id,
      title: mr.title,
      description: '',
      state: mr.state,
      created_at: mr.createdAt,
      updated_at: mr.updatedAt,
      merged_at: mr.mergedAt,
      merged_by: mr.state === 'merged' ? author : null,
      merge_user: mr.state === 'merged' ? author : null,
      closed_at: null,
      target_branch: mr.targetBranch,
      source_branch: mr.sourceBranch,
      author,
      source_project_id: project.id,
      target_project_id: project.id,
      draft: false,
      merge_when_pipeline_succeeds: false,
      sha: mr.sha,
      merge_commit_sha: mr.mergeCommitSha,
      squash_commit_sha: mr.squashCommitSha,
      squash: mr.squashCommitSha !== null,
      web_url: `${this.webUrl(project)}/-/merge_requests/${mr.iid}`,
      references: { short: `!${mr.iid}`, relative: `!${mr.iid}`, full: `${project.path}!${mr.iid}` },
    };
  }

  // lib/api/project_hooks.rb (`GET /projects/:id/hooks`): Maintainer only (a read token gets 403), offset pagination;
  // entities/project_hook.rb + hook.rb expose alert_status (executable, disabled, temporarily_disabled) and
  // disabled_until, which GitLab sets after failed deliveries (docs: user/project/integrations/webhooks.md).
  private listHooks(c: Ctx): FakeResponse {
    if (this.authenticate(c.req) !== 'write') return message(403, '403 Forbidden');
    const hooks = (this.projectHooks.get(c.project.id) ?? []).map((h) => ({
      id: h.id,
      url: h.url,
      name: null,
      description: null,
      project_id: c.project.id,
      created_at: h.createdAt,
      push_events: h.pushEvents,
      push_events_branch_filter: null,
      tag_push_events: false,
      merge_requests_events: h.mergeRequestsEvents,
      pipeline_events: h.pipelineEvents,
      issues_events: false,
      note_events: false,
      job_events: false,
      enable_ssl_verification: true,
      alert_status: h.alertStatus,
      disabled_until: h.disabledUntil,
      url_variables: [],
      custom_webhook_template: null,
    }));
    return this.paginate(c.req, hooks);
  }

  /** Auth, then project lookup, then the handler: the order GitLab's API applies them in. */
  private api(method: string, path: string, handler: (c: Ctx) => FakeResponse): void {
    this.http.route(method, `/api/v4${path}`, async (req, pathParams) => {
      const hook = this.hooks.find((h) => (!h.method || h.method === req.method) && h.path.test(req.path));
      if (hook) {
        this.hooks.splice(this.hooks.indexOf(hook), 1);
        await hook.run();
      }
      const role = this.authenticate(req);
      if (!role) return message(401, '401 Unauthorized');
      const project = this.findProject(pathParams.id ?? '');
      if (!project) return message(404, '404 Project Not Found');
      if (method !== 'GET' && role !== 'write') return message(403, '403 Forbidden');
      const params: Params = { ...Object.fromEntries(req.query), ...parseBody(req) };
      return handler({ req, path: pathParams, project, params });
    });
  }

  // ---- tokens and projects (what `runway check` reads) ------------------------------------------------

  /** lib/api/personal_access_tokens/self_information.rb: the token's own record; 401 for an unknown token. */
  private tokenSelf(req: FakeRequest): FakeResponse {
    const role = this.authenticate(req);
    if (!role) return message(401, '401 Unauthorized');
    return json(200, {
      id: 1,
      name: 'runway',
      revoked: false,
      created_at: '2026-01-01T00:00:00.000Z',
      description: null,
      scopes: role === 'write' ? ['api'] : ['read_api'],
      user_id: USER.id,
      last_used_at: this.now(),
      active: true,
      expires_at: null,
    });
  }

  /** A write token acts as a Maintainer (40), a read token as a Reporter (20). */
  private accessLevel(req: FakeRequest): number {
    return this.authenticate(req) === 'write' ? 40 : 20;
  }

  /** GET /projects/:id (lib/api/entities/project.rb), with the caller's `permissions`. */
  private getProject(c: Ctx): FakeResponse {
    return json(200, {
      id: c.project.id,
      name: c.project.path.split('/').pop(),
      path: c.project.path.split('/').pop(),
      path_with_namespace: c.project.path,
      default_branch: c.project.defaultBranch,
      visibility: 'private',
      web_url: this.webUrl(c.project),
      archived: false,
      permissions: {
        project_access: { access_level: this.accessLevel(c.req), notification_level: 3 },
        group_access: null,
      },
    });
  }

  private authenticate(req: FakeRequest): TokenRole | undefined {
    const privateToken = req.headers['private-token'];
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = typeof privateToken === 'string' ? privateToken : bearer;
    return token ? this.tokens.get(token) : undefined;
  }

  private findProject(id: string): FakeProject | undefined {
    if (/^\d+$/.test(id)) return this.projects.find((p) => p.id === Number(id));
    return this.projects.find((p) => p.path.toLowerCase() === id.toLowerCase());
  }

  // ---- repository: files and commits ------------------------------------------------------------------------

  private getFile(c: Ctx, raw: boolean): FakeResponse {
    const filePath = c.path.file_path!;
    const ref = str(c.params.ref) ?? (raw ? c.project.defaultBranch : undefined);
    if (!ref) return invalid('ref is missing');
    const commit = this.resolveRef(c.project, ref);
    if (!commit) return message(404, '404 Commit Not Found');
    const file = commit.tree.get(filePath);
    if (!file) return message(404, '404 File Not Found');
    if (raw) return { status: 200, body: file.content, headers: { 'Content-Type': 'text/plain; charset=utf-8' } };
    return json(200, {
      file_name: filePath.split('/').pop(),
      file_path: filePath,
      size: file.content.length,
      encoding: 'base64',
      content_sha256: createHash('sha256').update(file.content).digest('hex'),
      ref,
      blob_id: file.blobId,
      commit_id: commit.id,
      last_commit_id: file.lastCommitId,
      execute_filemode: false,
      content: file.content.toString('base64'),
    });
  }

  private createCommit(c: Ctx): FakeResponse {
    const missing = ['branch', 'commit_message', 'actions'].filter((k) => c.params[k] === undefined);
    if (missing.length) return invalid(missing.map((k) => `${k} is missing`).join(', '));
    const branch = String(c.params.branch);
    const startRef = str(c.params.start_sha) ?? str(c.params.start_branch) ?? branch;
    const start = this.resolveRef(c.project, startRef);
    if (!start) return message(400, 'You can only create or edit files when you are on a branch');
    const actions = c.params.actions as Params[];
    if (!Array.isArray(actions) || actions.length === 0) return invalid('actions is empty');

    // Validate every action against the start commit before changing anything: a commit is all or nothing.
    const changes: Record<string, Buffer | null> = {};
    const tree = new Map(start.tree);
    for (const [i, action] of actions.entries()) {
      const kind = str(action.action);
      const path = str(action.file_path);
      if (!kind || !['create', 'update', 'delete', 'move', 'chmod'].includes(kind)) {
        return invalid(`actions[${i}][action] does not have a valid value`);
      }
      if (!path) return invalid(`actions[${i}][file_path] is missing`);
      const source = kind === 'move' ? str(action.previous_path) : path;
      const lastCommitId = str(action.last_commit_id);
      if (['update', 'move', 'delete'].includes(kind) && lastCommitId && source) {
        const current = start.tree.get(source);
        if (current && current.lastCommitId !== lastCommitId) {
          return message(400, `The file has changed since you started editing it: ${source}`);
        }
      }
      const content = action.content === undefined ? undefined : decode(action.content, str(action.encoding));
      const step: Record<string, Buffer | null> = {};
      if (kind === 'create') {
        if (tree.has(path)) return message(400, 'A file with this name already exists');
        step[path] = content ?? Buffer.alloc(0);
      } else if (kind === 'update') {
        if (!tree.has(path)) return message(400, "A file with this name doesn't exist");
        step[path] = content ?? Buffer.alloc(0);
      } else if (kind === 'delete') {
        if (!tree.has(path)) return message(400, "A file with this name doesn't exist");
        step[path] = null;
      } else if (kind === 'move') {
        const old = source ? tree.get(source) : undefined;
        if (!source || !old) return message(400, "A file with this name doesn't exist");
        if (tree.has(path)) return message(400, 'A file with this name already exists');
        step[source] = null;
        step[path] = content ?? old.content;
      }
      // Later actions see earlier ones (create then update of the same path works, as in GitLab).
      for (const [p, v] of Object.entries(step)) {
        changes[p] = v;
        if (v === null) tree.delete(p);
        else tree.set(p, { content: v, blobId: '', lastCommitId: '' });
      }
    }

    // GitLab commits on top of the branch's current head (not the commit the caller read), so edits of
    // different files never conflict; only a stale last_commit_id on the same file does.
    const parent = c.project.branches.get(branch) ?? start.id;
    const commit = this.writeCommit(c.project, branch, parent, changes, String(c.params.commit_message), {
      name: str(c.params.author_name) ?? USER.name,
      email: str(c.params.author_email) ?? 'runway-bot@example.com',
    });
    const stats = diffStats(c.project.commits.get(parent), commit);
    return json(201, {
      ...this.commitJson(c.project, commit, false),
      stats,
      status: null,
      project_id: c.project.id,
      last_pipeline: null,
    });
  }

  private listCommits(c: Ctx): FakeResponse {
    const ref = str(c.params.ref_name) ?? c.project.defaultBranch;
    const path = str(c.params.path)?.replace(/\/$/, '');
    const head = this.resolveRef(c.project, ref);
    // `git log`: every ancestor (a merge brings its source commits), newest first; `first_parent` follows only
    // the first parent of each merge commit (docs: Commits API → List repository commits).
    const firstParent = c.params.first_parent === 'true' || c.params.first_parent === true;
    const reachable = !head
      ? []
      : firstParent
        ? this.history(c.project.id, head.id)
        : [...this.ancestry(c.project, head)]
            .map((id) => c.project.commits.get(id)!)
            .sort((x, y) => y.createdAt.localeCompare(x.createdAt));
    const commits = reachable.filter(
      (commit) => !path || commit.changed.some((p) => p === path || p.startsWith(`${path}/`)),
    );
    const withTrailers = c.params.trailers === 'true' || c.params.trailers === true;
    return this.paginate(
      c.req,
      commits.map((commit) => this.commitJson(c.project, commit, withTrailers)),
    );
  }

  private getCommit(c: Ctx): FakeResponse {
    const commit = this.resolveRef(c.project, c.path.sha!);
    if (!commit) return message(404, '404 Commit Not Found');
    return json(200, {
      ...this.commitJson(c.project, commit, false),
      status: null,
      project_id: c.project.id,
      last_pipeline: null,
    });
  }

  // GitLab lib/api/commits.rb `get ':id/repository/commits/:sha/merge_requests'`: 404 for an unknown commit, else
  // MergeRequestsFinder with `commit_sha`, i.e. MergeRequest.by_related_commit_sha (app/models/merge_request.rb):
  // the union of MRs whose latest diff holds the commit (its source commits), whose merge_commit_sha or
  // squash_commit_sha is it. Every state (no state filter), newest MR first (IssuableFinder#sort without `sort`:
  // `reorder(id: :desc)`), paginated, as Entities::MergeRequestBasic.
  private commitMergeRequests(c: Ctx): FakeResponse {
    const commit = this.resolveRef(c.project, c.path.sha!);
    if (!commit) return message(404, '404 Commit Not Found');
    const listed = this.mergeRequestList.get(c.project.id) ?? [];
    const related = (mr: { commits: string[]; mergeCommitSha?: string | null; squashCommitSha?: string | null }) =>
      mr.commits.includes(commit.id) || mr.mergeCommitSha === commit.id || mr.squashCommitSha === commit.id;
    const items = [
      ...listed.filter(related).map((mr) => ({ id: mr.id, body: this.mergeRequestJson(c.project, mr) })),
      // MRs seeded with addMergeRequest details (an iid that was also merged above is that MR).
      ...[...c.project.mergeRequestDetails.values()]
        .filter((mr) => related(mr) && !listed.some((l) => l.iid === mr.iid))
        .map((mr) => ({ id: 1000 + mr.iid, body: this.seededMergeRequestJson(c.project, mr) })),
    ];
    items.sort((a, b) => b.id - a.id);
    return this.paginate(
      c.req,
      items.map((i) => i.body),
    );
  }

  private seededMergeRequestJson(project: FakeProject, mr: FakeMergeRequest) {
    const author = { id: 10 + mr.iid, username: mr.author, name: mr.author, state: 'active', avatar_url: null };
    return {
      id: 1000 + mr.iid,
      iid: mr.iid,
      project_id: project.id,
      title: mr.title,
      description: '',
      state: mr.state,
      merged_at: null,
      merge_commit_sha: mr.mergeCommitSha ?? null,
      squash_commit_sha: null,
      sha: mr.commits.at(-1) ?? null,
      source_branch: `mr-${mr.iid}`,
      target_branch: project.defaultBranch,
      author,
      web_url: `${this.webUrl(project)}/-/merge_requests/${mr.iid}`,
      references: { short: `!${mr.iid}`, relative: `!${mr.iid}`, full: `${project.path}!${mr.iid}` },
    };
  }

  /** All ancestors of a commit, itself included (every parent, not only the first). */
  private ancestry(project: FakeProject, start: FakeCommit): Set<string> {
    const seen = new Set<string>();
    const todo = [start.id];
    while (todo.length) {
      const id = todo.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      todo.push(...(project.commits.get(id)?.parentIds ?? []));
    }
    return seen;
  }

  /** The newest commit that is an ancestor of both (by creation order: the fake's history is linear per branch). */
  private commonAncestor(project: FakeProject, a: FakeCommit, b: FakeCommit): FakeCommit | undefined {
    const ofA = this.ancestry(project, a);
    const common = [...this.ancestry(project, b)].filter((id) => ofA.has(id)).map((id) => project.commits.get(id)!);
    // A common ancestor that descends from every other common ancestor is the merge base.
    return common.find((candidate) => common.every((other) => this.ancestry(project, candidate).has(other.id)));
  }

  // GitLab lib/api/repositories.rb `get ':id/repository/merge_base'`: at least 2 refs, unknown refs are a 400
  // naming them, no common ancestor is a 404 "Merge Base Not Found".
  private mergeBase(c: Ctx): FakeResponse {
    const raw = c.req.query.getAll('refs[]');
    const refs = raw.length ? raw : c.req.query.getAll('refs');
    if (refs.length < 2) return message(400, 'Provide at least 2 refs');
    const commits = refs.map((ref) => this.resolveRef(c.project, ref));
    const unknown = refs.filter((_, i) => !commits[i]);
    if (unknown.length)
      return message(400, `Could not find ${unknown.length > 1 ? 'refs' : 'ref'}: ${unknown.join(', ')}`);
    let base: FakeCommit | undefined = commits[0];
    for (const next of commits.slice(1)) base = base && this.commonAncestor(c.project, base, next!);
    if (!base) return message(404, '404 Merge Base Not Found');
    return json(200, this.commitJson(c.project, base, false));
  }

  // GitLab lib/api/repositories.rb `get ':id/repository/compare'` (Entities::Compare): `commits` are those reachable
  // from `to` and not from the merge base of from/to (or from `from` itself with straight=true), oldest first;
  // `commit` is the newest of them; an unknown ref is a 404.
  private compare(c: Ctx): FakeResponse {
    const fromRef = str(c.params.from);
    const toRef = str(c.params.to);
    if (!fromRef) return invalid('from is missing');
    if (!toRef) return invalid('to is missing');
    const from = this.resolveRef(c.project, fromRef);
    const to = this.resolveRef(c.project, toRef);
    if (!from || !to) return message(404, '404 Ref Not Found');
    const straight = c.params.straight === 'true' || c.params.straight === true;
    const base = straight ? from : this.commonAncestor(c.project, from, to);
    const excluded = base ? this.ancestry(c.project, base) : new Set<string>();
    const commits = [...this.ancestry(c.project, to)]
      .filter((id) => !excluded.has(id))
      .map((id) => c.project.commits.get(id)!)
      .sort((x, y) => x.createdAt.localeCompare(y.createdAt));
    const commitsJson = commits.map((commit) => this.commitJson(c.project, commit, false));
    return json(200, {
      commit: commitsJson.at(-1) ?? null,
      commits: commitsJson,
      diffs: [],
      compare_timeout: false,
      compare_same_ref: fromRef === toRef,
      web_url: `${this.url}/${c.project.path}/-/compare/${fromRef}...${toRef}`,
    });
  }

  private writeCommit(
    project: FakeProject,
    branch: string,
    parentId: string | null,
    changes: Record<string, Buffer | null>,
    commitMessage: string,
    author: { name: string; email: string },
  ): FakeCommit {
    const parent = parentId ? project.commits.get(parentId) : undefined;
    const createdAt = this.now();
    const id = sha1(`${parentId ?? ''}\n${commitMessage}\n${createdAt}\n${++this.ids.commit}`);
    const tree = new Map(parent?.tree);
    for (const [path, content] of Object.entries(changes)) {
      if (content === null) tree.delete(path);
      else tree.set(path, { content, blobId: blobId(content), lastCommitId: id });
    }
    const commit: FakeCommit = {
      id,
      parentIds: parentId ? [parentId] : [],
      title: commitMessage.split('\n')[0] ?? '',
      message: commitMessage,
      authorName: author.name,
      authorEmail: author.email,
      createdAt,
      changed: Object.keys(changes),
      tree,
    };
    project.commits.set(id, commit);
    project.branches.set(branch, id);
    return commit;
  }

  /** A branch name, a tag name or a (possibly abbreviated, >= 7 chars) commit id. */
  private resolveRef(project: FakeProject, ref: string): FakeCommit | undefined {
    const head = project.branches.get(ref) ?? project.tags.get(ref);
    if (head) return project.commits.get(head);
    if (!/^[0-9a-f]{7,40}$/.test(ref)) return undefined;
    return [...project.commits.values()].find((c) => c.id.startsWith(ref));
  }

  private commitJson(project: FakeProject, c: FakeCommit, withTrailers: boolean): Record<string, unknown> {
    return {
      id: c.id,
      short_id: c.id.slice(0, 8),
      created_at: c.createdAt,
      parent_ids: c.parentIds,
      title: c.title,
      message: c.message,
      author_name: c.authorName,
      author_email: c.authorEmail,
      authored_date: c.createdAt,
      committer_name: c.authorName,
      committer_email: c.authorEmail,
      committed_date: c.createdAt,
      trailers: withTrailers ? parseTrailers(c.message) : {},
      extended_trailers: {},
      web_url: `${this.webUrl(project)}/-/commit/${c.id}`,
    };
  }

  // ---- deployments ------------------------------------------------------------------------------------------

  private postDeployment(c: Ctx): FakeResponse {
    const missing = ['environment', 'sha', 'ref', 'tag', 'status'].filter(
      (k) => c.params[k] === undefined || c.params[k] === '',
    );
    if (missing.length) return invalid(missing.map((k) => `${k} is missing`).join(', '));
    const tag = parseBool(c.params.tag);
    if (tag === undefined) return invalid('tag is invalid');
    const status = String(c.params.status);
    if (!DEPLOYMENT_STATUSES.includes(status)) return invalid('status does not have a valid value');
    const ref = String(c.params.ref);
    if (!this.resolveRef(c.project, ref)) return message(400, { ref: ['The branch or tag does not exist'] });
    const deployment = this.createDeployment(c.project, {
      environment: String(c.params.environment),
      sha: String(c.params.sha),
      ref,
      tag,
      status: status as FakeDeployment['status'],
      createdByCi: false,
    });
    return json(201, this.deploymentJson(c.project, deployment));
  }

  private createDeployment(
    project: FakeProject,
    input: Partial<FakeDeployment> & Omit<FakeDeployment, 'id' | 'iid' | 'createdAt' | 'updatedAt' | 'finishedAt'>,
  ): FakeDeployment {
    const now = this.now();
    if (!project.environments.has(input.environment)) {
      project.environments.set(input.environment, {
        id: ++this.ids.environment,
        name: input.environment,
        createdAt: now,
      });
    }
    const deployment: FakeDeployment = {
      id: ++this.ids.deployment,
      iid: project.deployments.length + 1,
      createdAt: now,
      updatedAt: now,
      finishedAt: ['success', 'failed', 'canceled'].includes(input.status) ? now : null,
      ...input,
    };
    project.deployments.push(deployment);
    return deployment;
  }

  private listDeployments(c: Ctx): FakeResponse {
    const orderBy = str(c.params.order_by) ?? 'id';
    const sort = str(c.params.sort) ?? 'asc';
    if (!['id', 'iid', 'created_at', 'updated_at', 'finished_at', 'ref'].includes(orderBy))
      return invalid('order_by does not have a valid value');
    if (!['asc', 'desc'].includes(sort)) return invalid('sort does not have a valid value');
    if ((c.params.updated_after || c.params.updated_before) && orderBy !== 'updated_at') {
      return message(400, '400 Bad request - `updated_at` filter requires `updated_at` sort');
    }
    const environment = str(c.params.environment);
    const status = str(c.params.status);
    if (status && ![...DEPLOYMENT_STATUSES, 'created', 'blocked', 'skipped'].includes(status)) {
      return invalid('status does not have a valid value');
    }
    const key = (d: FakeDeployment): string | number =>
      orderBy === 'ref'
        ? d.ref
        : orderBy === 'updated_at'
          ? d.updatedAt
          : orderBy === 'finished_at'
            ? (d.finishedAt ?? '')
            : d.id;
    const items = c.project.deployments
      .filter((d) => (!environment || d.environment === environment) && (!status || d.status === status))
      .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id) * (sort === 'desc' ? -1 : 1));
    return this.paginate(
      c.req,
      items.map((d) => this.deploymentJson(c.project, d)),
    );
  }

  private getDeployment(c: Ctx): FakeResponse {
    const deployment = c.project.deployments.find((d) => d.id === Number(c.path.deployment_id));
    return deployment ? json(200, this.deploymentJson(c.project, deployment)) : message(404, '404 Not found');
  }

  private putDeployment(c: Ctx): FakeResponse {
    const status = str(c.params.status);
    if (!status) return invalid('status is missing');
    if (!DEPLOYMENT_STATUSES.includes(status)) return invalid('status does not have a valid value');
    const deployment = c.project.deployments.find((d) => d.id === Number(c.path.deployment_id));
    if (!deployment) return message(404, '404 Not found');
    if (deployment.createdByCi)
      return message(403, '403 Forbidden - Deployments created using GitLab CI can not be updated using the API');
    // Deployment's state machine: `run` only from created; succeed/drop/cancel from any *other* state.
    const allowed = status === 'running' ? deployment.status === 'created' : deployment.status !== status;
    if (!allowed) return message(400, { status: [`cannot transition via "${transitionName(status)}"`] });
    const now = this.now();
    deployment.status = status as FakeDeployment['status'];
    deployment.updatedAt = now;
    if (status !== 'running') deployment.finishedAt = now;
    return json(200, this.deploymentJson(c.project, deployment));
  }

  private deploymentJson(project: FakeProject, d: FakeDeployment): Record<string, unknown> {
    const env = project.environments.get(d.environment)!;
    return {
      id: d.id,
      iid: d.iid,
      ref: d.ref,
      sha: d.sha,
      status: d.status,
      created_at: d.createdAt,
      updated_at: d.updatedAt,
      finished_at: d.finishedAt,
      user: { ...USER, web_url: `${this.url}/${USER.username}` },
      environment: {
        id: env.id,
        name: env.name,
        slug: env.name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
        external_url: null,
        state: 'available',
        tier: 'other',
        created_at: env.createdAt,
        updated_at: env.createdAt,
      },
      // API-made deployments have no job behind them; CI-made ones name theirs.
      deployable: d.createdByCi ? { id: 9000 + d.id, name: `deploy:${d.environment}`, status: d.status } : null,
    };
  }

  // ---- pipelines and jobs -----------------------------------------------------------------------------------

  private listPipelines(c: Ctx): FakeResponse {
    const filters = ['sha', 'ref', 'status', 'source'] as const;
    const sort = str(c.params.sort) ?? 'desc';
    const items = c.project.pipelines
      .filter((p) => filters.every((f) => c.params[f] === undefined || p[f] === c.params[f]))
      .sort((a, b) => (a.id - b.id) * (sort === 'asc' ? 1 : -1));
    return this.paginate(
      c.req,
      items.map((p) => this.pipelineJson(c.project, p)),
    );
  }

  private listJobs(c: Ctx): FakeResponse {
    const pipeline = c.project.pipelines.find((p) => p.id === Number(c.path.pipeline_id));
    if (!pipeline) return message(404, '404 Not found');
    const scopes = [...c.req.query.getAll('scope[]'), ...c.req.query.getAll('scope')];
    if (scopes.some((s) => !JOB_SCOPES.includes(s))) return invalid('scope does not have a valid value');
    const includeRetried = c.params.include_retried === 'true';
    const jobs = pipeline.jobs
      .filter((j) => (includeRetried || !j.retried) && (scopes.length === 0 || scopes.includes(j.status)))
      .sort((a, b) => b.id - a.id);
    const web = this.webUrl(c.project);
    return this.paginate(
      c.req,
      jobs.map((j) => ({
        id: j.id,
        status: j.status,
        stage: j.stage,
        name: j.name,
        ref: pipeline.ref,
        tag: false,
        coverage: null,
        allow_failure: j.allow_failure,
        created_at: j.created_at ?? pipeline.createdAt,
        started_at: j.started_at ?? null,
        finished_at: j.finished_at ?? null,
        erased_at: null,
        duration: j.duration ?? null,
        queued_duration: j.queued_duration ?? null,
        user: USER,
        commit: { id: pipeline.sha, short_id: pipeline.sha.slice(0, 8) },
        pipeline: this.pipelineJson(c.project, pipeline),
        ...(j.status === 'failed' ? { failure_reason: j.failure_reason ?? 'script_failure' } : {}),
        web_url: `${web}/-/jobs/${j.id}`,
        artifacts: [],
        runner: null,
        tag_list: [],
        archived: false,
      })),
    );
  }

  private pipelineJson(project: FakeProject, p: FakePipeline): Record<string, unknown> {
    return {
      id: p.id,
      iid: p.iid,
      project_id: project.id,
      sha: p.sha,
      ref: p.ref,
      status: p.status,
      source: p.source,
      name: null,
      created_at: p.createdAt,
      updated_at: p.updatedAt,
      web_url: `${this.webUrl(project)}/-/pipelines/${p.id}`,
    };
  }

  // ---- merge request notes ----------------------------------------------------------------------------------

  private withNotes(c: Ctx, then: (notes: FakeNote[]) => FakeResponse): FakeResponse {
    const notes = c.project.mergeRequests.get(Number(c.path.iid));
    return notes ? then(notes) : message(404, '404 Merge Request Not Found');
  }

  private withNote(c: Ctx, then: (note: FakeNote) => FakeResponse): FakeResponse {
    return this.withNotes(c, (notes) => {
      const note = notes.find((n) => n.id === Number(c.path.note_id));
      return note ? then(note) : message(404, '404 Not found');
    });
  }

  private listNotes(c: Ctx, notes: FakeNote[]): FakeResponse {
    const orderBy = str(c.params.order_by) ?? 'created_at';
    const sort = str(c.params.sort) ?? 'desc';
    const key = (n: FakeNote) => (orderBy === 'updated_at' ? n.updatedAt : n.createdAt);
    const items = [...notes].sort(
      (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id) * (sort === 'asc' ? 1 : -1),
    );
    return this.paginate(
      c.req,
      items.map((n) => this.noteJson(c, n)),
    );
  }

  private createNote(c: Ctx, notes: FakeNote[]): FakeResponse {
    const body = str(c.params.body);
    if (!body) return invalid('body is missing');
    const now = this.now();
    const note: FakeNote = { id: ++this.ids.note, body, system: false, createdAt: now, updatedAt: now };
    notes.push(note);
    return json(201, this.noteJson(c, note));
  }

  private editNote(c: Ctx, note: FakeNote): FakeResponse {
    const body = str(c.params.body);
    if (!body) return message(400, '400 Bad request - Note body is empty');
    note.body = body;
    note.updatedAt = this.now();
    return json(200, this.noteJson(c, note));
  }

  private noteJson(c: Ctx, n: FakeNote): Record<string, unknown> {
    return {
      id: n.id,
      type: null,
      body: n.body,
      attachment: null,
      author: USER,
      created_at: n.createdAt,
      updated_at: n.updatedAt,
      system: n.system,
      noteable_id: Number(c.path.iid) + 10_000,
      noteable_type: 'MergeRequest',
      noteable_iid: Number(c.path.iid),
      project_id: c.project.id,
      resolvable: false,
      confidential: false,
      internal: false,
      commands_changes: {},
    };
  }

  // ---- shared helpers ---------------------------------------------------------------------------------------

  /** GitLab's offset pagination: `page`/`per_page` (20 by default, 100 at most), x-* headers and a Link header. */
  private paginate(req: FakeRequest, items: unknown[]): FakeResponse {
    const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page')) || 20));
    const page = Math.max(1, Number(req.query.get('page')) || 1);
    const totalPages = Math.max(1, Math.ceil(items.length / perPage));
    const link = (n: number, rel: string) => {
      const q = new URLSearchParams(req.query);
      q.set('page', String(n));
      q.set('per_page', String(perPage));
      return `<${this.url}${req.path}?${q.toString()}>; rel="${rel}"`;
    };
    const links = [
      ...(page > 1 ? [link(page - 1, 'prev')] : []),
      ...(page < totalPages ? [link(page + 1, 'next')] : []),
      link(1, 'first'),
      link(totalPages, 'last'),
    ];
    return json(200, items.slice((page - 1) * perPage, page * perPage), {
      'x-page': String(page),
      'x-per-page': String(perPage),
      'x-total': String(items.length),
      'x-total-pages': String(totalPages),
      'x-next-page': page < totalPages ? String(page + 1) : '',
      'x-prev-page': page > 1 ? String(page - 1) : '',
      link: links.join(', '),
    });
  }

  private webUrl(project: FakeProject): string {
    return `${this.url}/${project.path}`;
  }

  /** Strictly increasing timestamps, so "newest first" orderings are never ties. */
  private now(): string {
    this.lastTime = Math.max(Date.now(), this.lastTime + 1);
    return new Date(this.lastTime).toISOString();
  }
}

function parseBody(req: FakeRequest): Params {
  if (!req.body) return {};
  const type = String(req.headers['content-type'] ?? '');
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(req.body));
  const parsed = req.json<unknown>();
  return parsed && typeof parsed === 'object' ? (parsed as Params) : {};
}

function parseBool(v: unknown): boolean | undefined {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return undefined;
}

function decode(content: unknown, encoding: string | undefined): Buffer {
  return Buffer.from(String(content), encoding === 'base64' ? 'base64' : 'utf8');
}

function transitionName(status: string): string {
  return { running: 'run', success: 'succeed', failed: 'drop', canceled: 'cancel' }[status] ?? status;
}

/** Git trailers: `Key: value` lines of the message's last paragraph. */
function parseTrailers(text: string): Record<string, string> {
  const last =
    text
      .trim()
      .split(/\n\s*\n/)
      .pop() ?? '';
  const out: Record<string, string> = {};
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Line-count stats (a multiset difference, not a real diff: enough for a fake). */
function diffStats(
  parent: FakeCommit | undefined,
  commit: FakeCommit,
): { additions: number; deletions: number; total: number } {
  let additions = 0;
  let deletions = 0;
  for (const path of commit.changed) {
    const before = (parent?.tree.get(path)?.content.toString('utf8') ?? '').split('\n').filter(Boolean);
    const after = (commit.tree.get(path)?.content.toString('utf8') ?? '').split('\n').filter(Boolean);
    const remaining = [...before];
    for (const line of after) {
      const i = remaining.indexOf(line);
      if (i >= 0) remaining.splice(i, 1);
      else additions += 1;
    }
    deletions += remaining.length;
  }
  return { additions, deletions, total: additions + deletions };
}
