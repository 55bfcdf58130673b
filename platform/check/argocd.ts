// Argo CD: every application exists, its sync policy, and whether the account may sync it — per Argo CD
// instance, resolved from runway.yaml exactly as the worker resolves it (argocdInstances, argocd.instance).
// REST driver: GET /api/v1/applications/:name, GET /api/v1/account/can-i/applications/<action>/<project>/<app>.
import type { KubeConfig } from '@kubernetes/client-node';
import { argocdInstances, type ArgoCdInstanceConfig, type RunwayConfig } from '../../config/schema.js';
import { checkArgoCdKubernetes } from './argocd-kubernetes.js';
import { getJson, record, said, type Fetch } from './http.js';
import type { CheckResult } from './report.js';

/** An environment's application, and the instance (by name) the worker deploys it through. */
export interface AppToCheck {
  service: string;
  environment: string;
  name: string;
  project?: string;
  /** The Application's namespace when it is not the instance's own (apps in any namespace). */
  namespace?: string;
  instance: string;
}

export async function checkArgoCd(
  config: RunwayConfig,
  options: { fetch?: Fetch; kubeConfig?: KubeConfig } = {},
): Promise<CheckResult[]> {
  const area = 'argocd';
  const apps: AppToCheck[] = Object.entries(config.services).flatMap(([service, s]) =>
    s.environments.map((e) => ({
      service,
      environment: e.name,
      name: e.argocd.application,
      project: e.argocd.project,
      namespace: e.argocd.namespace,
      instance: e.argocd.instance ?? 'default',
    })),
  );
  // Without an argocd section the worker refuses to start when services exist: the config line says so.
  if (!config.argocd) return apps.length ? [] : [{ area, check: 'configured', status: 'skip', detail: 'no services' }];
  const instances = argocdInstances(config);
  const out: CheckResult[] = [];
  for (const [name, instance] of Object.entries(instances)) {
    const mine = apps.filter((a) => a.instance === name);
    if (mine.length === 0) continue;
    const prefix = name === 'default' ? '' : `instance ${name}: `;
    const results =
      instance.driver === 'kubernetes'
        ? await checkArgoCdKubernetes(instance, mine, { kubeConfig: options.kubeConfig })
        : await checkArgoCdApi(instance, mine, options);
    out.push(...results.map((r) => ({ ...r, check: prefix + r.check })));
  }
  for (const app of apps.filter((a) => !instances[a.instance])) {
    out.push({
      area,
      check: `${app.service}/${app.environment}: Argo CD instance ${app.instance}`,
      status: 'fail',
      detail: 'not configured',
      fix: `add argocd.instances.${app.instance}, or set argocd.default`,
    });
  }
  return out;
}

async function checkArgoCdApi(
  instance: ArgoCdInstanceConfig,
  apps: AppToCheck[],
  options: { fetch?: Fetch },
): Promise<CheckResult[]> {
  const area = 'argocd';
  const base = `${instance.url!.replace(/\/+$/, '')}/api/v1`;
  const headers = { Authorization: `Bearer ${instance.token!}` };
  const out: CheckResult[] = [];
  for (const app of apps) {
    const label = `${app.service}/${app.environment}: application ${app.name}`;
    const scope = new URLSearchParams();
    if (app.namespace) scope.set('appNamespace', app.namespace);
    if (app.project) scope.set('project', app.project);
    const query = scope.size ? `?${scope.toString()}` : '';
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
