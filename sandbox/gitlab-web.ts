// What the sandbox GitLab shows in a browser: the links Runway writes (merge request, commit, pipeline,
// failed job, deployments) land on a small page instead of a 404, and a pipeline that fails on purpose
// lets people see how Runway reports a failed build.
import type { FakeGitLab, FakeProject } from '../fakes/gitlab.js';

/** Merge a commit whose sha starts with this and its build fails (the registry never gets the image). */
export const FAILING_BUILD_PREFIX = 'fa11';
/** The sha the README's failing-pipeline example merges; its failed pipeline exists from the start. */
export const FAILING_BUILD_SHA = 'fa11edc0ffee0123456789abcdef0123456789ab';

/** True for an image tag (the short sha) of a commit whose build fails in the sandbox. */
export const buildFails = (tag: string): boolean => tag.startsWith(FAILING_BUILD_PREFIX);

/** A failed pipeline for `sha`: the build passes, the unit tests fail, nothing is pushed. */
export function addFailedPipeline(gitlab: FakeGitLab, project: FakeProject, sha: string): void {
  if (project.pipelines.some((p) => p.sha === sha)) return;
  const at = new Date().toISOString();
  gitlab.addPipeline(project.id, {
    sha,
    status: 'failed',
    jobs: [
      { name: 'build', stage: 'build', status: 'success', started_at: at, finished_at: at, duration: 41 },
      {
        name: 'unit-tests',
        stage: 'test',
        status: 'failed',
        failure_reason: 'script_failure',
        started_at: at,
        finished_at: at,
        duration: 12,
      },
      { name: 'push-image', stage: 'publish', status: 'skipped' },
    ],
  });
}

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A sandbox GitLab HTML page: no scripts, inline styles only. */
export function htmlPage(body: string): { status: number; body: string; headers: Record<string, string> } {
  return {
    status: 200,
    body,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    },
  };
}

function page(title: string, lines: string[]): { status: number; body: string; headers: Record<string, string> } {
  const body = `<!doctype html><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
code,pre{background:#f4f4f5;padding:.1rem .3rem;border-radius:4px}pre{padding:.8rem;overflow:auto}</style>
<p><small>Runway sandbox · stand-in for GitLab</small></p><h1>${escape(title)}</h1>${lines.join('\n')}`;
  return htmlPage(body);
}

/** Browser pages under the project's web URL (`http://127.0.0.1:8081/sandbox/hello/-/…`). */
export function addGitLabWebPages(gitlab: FakeGitLab, projectPath: string): void {
  const project = () => gitlab.project(projectPath);
  const base = `/${projectPath}/-`;
  gitlab.http.route('GET', `/${projectPath}`, () =>
    page(projectPath, [
      `<p>The sandbox's service repository. Runway releases it when a merge request is merged.</p>`,
      // gitlab-merge.ts: a real merge in this fake, then the Merge Request Hook to Runway.
      `<form method="post" action="${base}/merge"><label>Merge a merge request titled
<input name="title" value="Say hello" maxlength="200"></label> <button type="submit">Merge</button></form>`,
      `<p><a href="${base}/environments">Environments and deployments</a></p>`,
    ]),
  );
  gitlab.http.route('GET', `${base}/merge_requests/:iid`, (_req, p) => {
    const notes = gitlab.notes(projectPath, Number(p.iid));
    return page(`${projectPath}!${p.iid}`, [
      `<p>Merge request !${escape(p.iid!)}. Runway's release notes on it:</p>`,
      ...(notes.length ? notes.map((n) => `<pre>${escape(n.body)}</pre>`) : ['<p><em>none yet</em></p>']),
    ]);
  });
  gitlab.http.route('GET', `${base}/commit/:sha`, (_req, p) =>
    page(`Commit ${p.sha!.slice(0, 8)}`, [`<p><code>${escape(p.sha!)}</code> in ${escape(projectPath)}.</p>`]),
  );
  gitlab.http.route('GET', `${base}/pipelines/:id`, (_req, p) => {
    const pipeline = project().pipelines.find((x) => x.id === Number(p.id));
    if (!pipeline) return page(`Pipeline #${p.id}`, ['<p>No such pipeline.</p>']);
    return page(`Pipeline #${pipeline.id}: ${pipeline.status}`, [
      `<p>Commit <code>${escape(pipeline.sha)}</code></p><ul>`,
      ...pipeline.jobs.map(
        (j) =>
          `<li><a href="${base}/jobs/${j.id}">${escape(j.name)}</a> (${escape(j.stage)}): ${escape(j.status)}</li>`,
      ),
      '</ul>',
    ]);
  });
  gitlab.http.route('GET', `${base}/jobs/:id`, (_req, p) => {
    const pipeline = project().pipelines.find((x) => x.jobs.some((j) => j.id === Number(p.id)));
    const job = pipeline?.jobs.find((j) => j.id === Number(p.id));
    if (!pipeline || !job) return page(`Job #${p.id}`, ['<p>No such job.</p>']);
    const log =
      job.status === 'failed'
        ? `$ npm test\n\n FAIL  test/greeting.test.ts > says hello\n   expected 'helo' to be 'hello'\n\nERROR: Job failed: exit code 1`
        : `$ ${job.name}\nJob ${job.status}`;
    return page(`Job ${job.name} #${job.id}: ${job.status}`, [
      `<p><a href="${base}/pipelines/${pipeline.id}">Pipeline #${pipeline.id}</a>, commit <code>${escape(pipeline.sha.slice(0, 8))}</code></p>`,
      `<pre>${escape(log)}</pre>`,
    ]);
  });
  gitlab.http.route('GET', `${base}/environments`, () =>
    page(`${projectPath}: deployments`, [
      '<ul>',
      ...[...gitlab.deployments(projectPath)]
        .reverse()
        .map(
          (d) =>
            `<li>${escape(d.environment)} · <code>${escape(d.sha.slice(0, 8))}</code> · ${escape(d.status)} · ${escape(d.updatedAt)}</li>`,
        ),
      '</ul>',
    ]),
  );
  gitlab.http.route('GET', `${base}/environments/:id`, () =>
    page('Environment', [`<p><a href="${base}/environments">All deployments</a></p>`]),
  );
}
