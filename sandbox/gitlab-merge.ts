// The sandbox GitLab's "Merge" button (on the project page, http://127.0.0.1:8081/sandbox/hello): a merge request
// is merged in the fake (a real commit on `main`, the MR `merged`), then GitLab's Merge Request Hook goes to the
// project's webhook, as GitLab sends it after a merge (doc/user/project/integrations/webhook_events.md, "Merge
// request events": object_attributes.action "merge", merge_commit_sha, X-Gitlab-Event, X-Gitlab-Token). The
// commit exists in the project, so the release that follows gets real release notes, unlike a webhook naming
// a sha GitLab never saw (the README's curl), whose compare GitLab answers 404.
import type { FakeGitLab } from '../fakes/gitlab.js';
import type { FakeRequest, FakeResponse } from '../fakes/http-fake.js';
import { htmlPage } from './gitlab-web.js';

export interface MergeButtonOptions {
  projectPath: string;
  /** Where the project's webhook points: Runway's `/webhooks/gitlab`. */
  webhookUrl: string;
  webhookSecret: string;
}

export interface SandboxMerge {
  iid: number;
  title: string;
  sha: string;
  /** Runway's answer to the webhook, or why it could not be delivered. */
  delivery: { status: number; body: string } | { error: string };
}

/** Merges a merge request titled `title` and delivers its webhook. */
export async function mergeAndNotify(
  gitlab: FakeGitLab,
  options: MergeButtonOptions,
  title: string,
): Promise<SandboxMerge> {
  const project = gitlab.project(options.projectPath);
  const mr = gitlab.mergeMergeRequest(project.id, { title });
  // The fake finds this MR from its merge commit and its source commit (`commits/:sha/merge_requests`), as
  // GitLab does, so release notes name it.
  const sha = mr.mergeCommitSha ?? mr.sha;
  const webUrl = `${gitlab.url}/${project.path}`;
  const hook = {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: { username: 'sandbox-user', name: 'Sandbox User' },
    project: { id: project.id, path_with_namespace: project.path, web_url: webUrl },
    object_attributes: {
      iid: mr.iid,
      title: mr.title,
      action: 'merge',
      state: 'merged',
      target_branch: mr.targetBranch,
      source_branch: mr.sourceBranch,
      merge_commit_sha: sha,
      url: `${webUrl}/-/merge_requests/${mr.iid}`,
    },
  };
  let delivery: SandboxMerge['delivery'];
  try {
    const res = await fetch(options.webhookUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Gitlab-Event': 'Merge Request Hook',
        'X-Gitlab-Token': options.webhookSecret,
        'User-Agent': 'GitLab/17.0.0',
      },
      body: JSON.stringify(hook),
      signal: AbortSignal.timeout(10_000),
    });
    delivery = { status: res.status, body: (await res.text()).slice(0, 2_000) };
  } catch (err) {
    delivery = { error: `Runway did not answer at ${options.webhookUrl}: ${(err as Error).message}` };
  }
  return { iid: mr.iid, title: mr.title, sha, delivery };
}

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The form's title field, `application/x-www-form-urlencoded` as a browser posts it (or JSON). */
function titleOf(req: FakeRequest): string {
  const type = String(req.headers['content-type'] ?? '');
  let title: unknown;
  if (type.startsWith('application/json')) {
    title = (req.json<{ title?: unknown } | null>() ?? {}).title;
  } else {
    title = new URLSearchParams(req.body).get('title');
  }
  return typeof title === 'string' && title.trim() ? title.trim().slice(0, 200) : 'A change';
}

/** `POST /<project>/-/merge`: the button's target. Answers a page for a browser, JSON when asked for JSON. */
export function addMergeButton(gitlab: FakeGitLab, options: MergeButtonOptions): void {
  gitlab.http.route('POST', `/${options.projectPath}/-/merge`, async (req): Promise<FakeResponse> => {
    const merged = await mergeAndNotify(gitlab, options, titleOf(req));
    if (String(req.headers.accept ?? '').includes('application/json')) return { status: 200, body: merged };
    const answer =
      'error' in merged.delivery
        ? escape(merged.delivery.error)
        : `Runway answered HTTP ${merged.delivery.status}: <code>${escape(merged.delivery.body)}</code>`;
    const base = `/${options.projectPath}/-`;
    const body = `<!doctype html><meta charset="utf-8"><title>Merged !${merged.iid}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
code{background:#f4f4f5;padding:.1rem .3rem;border-radius:4px;word-break:break-all}</style>
<p><small>Runway sandbox · stand-in for GitLab</small></p>
<h1>Merged <a href="${base}/merge_requests/${merged.iid}">!${merged.iid}</a>: ${escape(merged.title)}</h1>
<p>Merge commit <code>${merged.sha}</code> on <code>main</code>.
Webhook sent to ${escape(options.webhookUrl)}; ${answer}</p>
<p><a href="/${options.projectPath}">Back to the project</a></p>`;
    return htmlPage(body);
  });
}
