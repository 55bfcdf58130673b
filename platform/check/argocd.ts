// Argo CD (REST driver): every application exists, its sync policy, and whether the account may sync it
// (GET /api/v1/applications/:name, GET /api/v1/account/can-i/applications/<action>/<project>/<app>).
import type { KubeConfig } from '@kubernetes/client-node';
import type { RunwayConfig } from '../../config/schema.js';
import { checkArgoCdKubernetes } from './argocd-kubernetes.js';
import { getJson, record, said, type Fetch } from './http.js';
import type { CheckResult } from './report.js';

export async function checkArgoCd(
  config: RunwayConfig,
  options: { fetch?: Fetch; kubeConfig?: KubeConfig } = {},
): Promise<CheckResult[]> {
  const area = 'argocd';
  const argocd = config.argocd;
  const apps = Object.entries(config.services).flatMap(([service, s]) =>
    s.environments.map((e) => ({
      service,
      environment: e.name,
      name: e.argocd.application,
      project: e.argocd.project,
    })),
  );
  if (!argocd)
    return [{ area, check: 'configured', status: 'skip', detail: 'no argocd section: deploys are simulated' }];
  if (argocd.driver === 'kubernetes') return checkArgoCdKubernetes(config, { kubeConfig: options.kubeConfig });
  const base = `${argocd.url!.replace(/\/+$/, '')}/api/v1`;
  const headers = { Authorization: `Bearer ${argocd.token!}` };
  const out: CheckResult[] = [];
  for (const app of apps) {
    const label = `${app.service}/${app.environment}: application ${app.name}`;
    const query = app.project ? `?project=${encodeURIComponent(app.project)}` : '';
    const got = await getJson(`${base}/applications/${encodeURIComponent(app.name)}${query}`, headers, options);
    if (got.status === 401) {
      return [
        {
          area,
          check: 'token valid',
          status: 'fail',
          detail: `401 ${said(got.body)}`,
          fix: 'argocd account generate-token --account runway, and set argocd.token',
        },
      ];
    }
    if (got.status !== 200) {
      out.push({
        area,
        check: label,
        status: 'fail',
        detail:
          got.status === 403 || got.status === 404
            ? `not found, or the account may not see it (${got.status} ${said(got.body)})`
            : `${got.status} ${said(got.body)}`,
        fix: `check the name (argocd app list) and give the account "applications, get" on ${app.project ?? '<project>'}/${app.name}`,
      });
      continue;
    }
    const spec = record(record(got.body).spec);
    const project = typeof spec.project === 'string' ? spec.project : (app.project ?? 'default');
    const automated = record(spec.syncPolicy).automated !== undefined;
    out.push({
      area,
      check: label,
      status: 'ok',
      detail: `project ${project}, sync ${automated ? 'automated' : 'manual'}`,
    });
    const object = `${encodeURIComponent(project)}/${encodeURIComponent(app.name)}`;
    const may = async (action: string) => {
      const answer = await getJson(`${base}/account/can-i/applications/${action}/${object}`, headers, options);
      return answer.status === 200 && record(answer.body).value === 'yes';
    };
    const sync = await may('sync');
    out.push({
      area,
      check: `${app.service}/${app.environment}: account may sync ${app.name}`,
      status: sync ? 'ok' : 'fail',
      ...(sync
        ? {}
        : { fix: `RBAC: p, role:runway, applications, sync, ${project}/${app.name}, allow (argocd-rbac-cm)` }),
    });
    if (!automated) {
      // Runway syncs manual applications to the exact commit it pushed: a revision other than the target.
      const override = await may('override');
      out.push({
        area,
        check: `${app.service}/${app.environment}: account may sync ${app.name} to a given revision`,
        status: override ? 'ok' : 'warn',
        ...(override
          ? {}
          : {
              fix: `RBAC: p, role:runway, applications, override, ${project}/${app.name}, allow (needed when the server requires it for revision syncs)`,
            }),
      });
    }
  }
  return out;
}
