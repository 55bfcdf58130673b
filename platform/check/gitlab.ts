// GitLab: the token (valid, active, scopes), each service project visible with its webhook, the infra
// projects writable. Endpoints: GET /personal_access_tokens/self, GET /projects/:id, GET /projects/:id/hooks.
import type { RunwayConfig } from '../../config/schema.js';
import { getJson, record, said, type Fetch } from './http.js';
import type { CheckResult } from './report.js';

const DEVELOPER = 30;
const MAINTAINER = 40;

export async function checkGitLab(
  config: RunwayConfig,
  options: { publicUrl?: string; fetch?: Fetch } = {},
): Promise<CheckResult[]> {
  const area = 'gitlab';
  const gitlab = config.gitlab;
  const services = Object.entries(config.services);
  // With services, a missing gitlab section is a config failure (runChecks reports what the worker refuses).
  if (!gitlab) return services.length ? [] : [{ area, check: 'configured', status: 'skip', detail: 'no services' }];
  const api = `${gitlab.url.replace(/\/+$/, '')}/api/v4`;
  const headers = { 'PRIVATE-TOKEN': gitlab.token };
  const get = (path: string) => getJson(`${api}${path}`, headers, options);
  const out: CheckResult[] = [];

  const self = await get('/personal_access_tokens/self');
  if (self.status === 401) {
    return [
      {
        area,
        check: 'token valid',
        status: 'fail',
        detail: `${gitlab.url} refused the token (401)`,
        fix: 'create a token with the api scope (User or Project/Group settings → Access tokens) and set gitlab.token',
      },
    ];
  }
  if (self.status !== 200) {
    out.push({
      area,
      check: 'token valid',
      status: 'warn',
      detail: `GET /personal_access_tokens/self: ${self.status} ${said(self.body)}`,
    });
  } else {
    const token = record(self.body);
    const scopes = Array.isArray(token.scopes) ? token.scopes.map(String) : [];
    const expires = typeof token.expires_at === 'string' ? `, expires ${token.expires_at}` : '';
    out.push({
      area,
      check: 'token valid',
      status: token.active === false ? 'fail' : 'ok',
      detail: `"${String(token.name)}"${expires}`,
    });
    out.push(
      scopes.includes('api')
        ? { area, check: 'token scopes', status: 'ok', detail: scopes.join(', ') }
        : {
            area,
            check: 'token scopes',
            status: 'fail',
            detail: `has ${scopes.join(', ') || 'none'}, needs api`,
            fix: 'Runway writes commits, deployments and MR comments: give the token the api scope',
          },
    );
  }

  const hookUrl = options.publicUrl ? `${options.publicUrl.replace(/\/+$/, '')}/webhooks/gitlab` : undefined;
  for (const [name, service] of services) {
    const ref = encodeURIComponent(service.gitlab.project);
    const project = await get(`/projects/${ref}`);
    if (project.status !== 200) {
      out.push({
        area,
        check: `service ${name}: project ${service.gitlab.project} visible`,
        status: 'fail',
        detail: `${project.status} ${said(project.body)}`,
        fix: "check services.<name>.gitlab.project, and make the token's user a member (Developer) of the project",
      });
      continue;
    }
    const level = accessLevel(project.body);
    out.push({
      area,
      check: `service ${name}: project ${service.gitlab.project} visible`,
      status: level >= DEVELOPER ? 'ok' : 'warn',
      detail: `access level ${level}`,
      ...(level >= DEVELOPER
        ? {}
        : { fix: "Runway records deployments on the project: make the token's user a Developer" }),
    });
    const hooks = await get(`/projects/${ref}/hooks`);
    if (hooks.status === 403) {
      out.push({
        area,
        check: `service ${name}: webhook`,
        status: 'warn',
        detail: 'cannot list webhooks (needs Maintainer); not verified',
        fix: `check Settings → Webhooks: ${hookUrl ?? '<runway>/webhooks/gitlab'}, Merge request + Pipeline events`,
      });
      continue;
    }
    const list = Array.isArray(hooks.body) ? hooks.body.map(record) : [];
    const found = list.find(
      (h) => typeof h.url === 'string' && (hookUrl ? h.url === hookUrl : h.url.endsWith('/webhooks/gitlab')),
    );
    if (!found) {
      out.push({
        area,
        check: `service ${name}: webhook`,
        status: 'fail',
        detail: `no webhook to ${hookUrl ?? '…/webhooks/gitlab'}${list.length ? ` (found ${list.map((h) => String(h.url)).join(', ')})` : ''}`,
        fix: `Settings → Webhooks: URL ${hookUrl ?? 'https://<runway>/webhooks/gitlab'}, secret token = gitlab.webhookSecret, Merge request events + Pipeline events (a group webhook works too, but this check sees project webhooks only)`,
      });
    } else {
      const missing = [
        found.merge_requests_events === true ? '' : 'Merge request events',
        found.pipeline_events === true ? '' : 'Pipeline events',
      ].filter(Boolean);
      out.push({
        area,
        check: `service ${name}: webhook`,
        status: missing.length ? 'fail' : 'ok',
        detail: missing.length ? `${String(found.url)} lacks ${missing.join(' and ')}` : String(found.url),
        ...(missing.length ? { fix: `tick ${missing.join(' and ')} on the webhook` } : {}),
      });
    }
  }

  const infraProjects = [
    ...new Set(services.filter(([, s]) => s.infra.driver === 'gitlab').map(([, s]) => s.infra.repository)),
  ];
  for (const repository of infraProjects) {
    const project = await get(`/projects/${encodeURIComponent(repository)}`);
    const level = project.status === 200 ? accessLevel(project.body) : 0;
    out.push({
      area,
      check: `infra project ${repository} writable`,
      status: project.status !== 200 || level < DEVELOPER ? 'fail' : level < MAINTAINER ? 'warn' : 'ok',
      detail: project.status !== 200 ? `${project.status} ${said(project.body)}` : `access level ${level}`,
      ...(project.status !== 200 || level < MAINTAINER
        ? {
            fix: 'Runway commits to the infra branch: Maintainer, or Developer allowed to push to that protected branch',
          }
        : {}),
    });
  }
  return out;
}

function accessLevel(project: unknown): number {
  const permissions = record(record(project).permissions);
  const levels = [permissions.project_access, permissions.group_access].map((a) => Number(record(a).access_level) || 0);
  return Math.max(0, ...levels);
}
