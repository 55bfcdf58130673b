// Argo CD through Kubernetes (`argocd.driver: kubernetes`): each Application resource exists, its sync policy,
// and whether Runway's identity may get and patch Applications (SelfSubjectAccessReview, as `kubectl auth can-i`).
import type { KubeConfig } from '@kubernetes/client-node';
import type { ArgoCdInstanceConfig } from '../../config/schema.js';
import type { AppToCheck } from './argocd.js';
import { record } from './http.js';
import type { CheckResult } from './report.js';

const GROUP = 'argoproj.io';

export async function checkArgoCdKubernetes(
  instance: ArgoCdInstanceConfig,
  apps: AppToCheck[],
  options: { kubeConfig?: KubeConfig } = {},
): Promise<CheckResult[]> {
  const area = 'argocd';
  const home = instance.namespace ?? 'argocd';
  const k8s = await import('@kubernetes/client-node');
  let kc = options.kubeConfig;
  if (!kc) {
    kc = new k8s.KubeConfig();
    try {
      kc.loadFromDefault();
    } catch (err) {
      return [
        {
          area,
          check: 'kubeconfig',
          status: 'fail',
          detail: (err as Error).message,
          fix: 'set KUBECONFIG, or run in the cluster',
        },
      ];
    }
  }
  const out: CheckResult[] = [];
  const auth = kc.makeApiClient(k8s.AuthorizationV1Api);
  // The worker reads and patches each Application where it lives: its own namespace, or Argo CD's.
  const namespaces = [...new Set(apps.map((a) => a.namespace ?? home))];
  for (const namespace of namespaces) {
    for (const verb of ['get', 'patch']) {
      const check = `may ${verb} applications.${GROUP} in ${namespace}`;
      try {
        const review = await auth.createSelfSubjectAccessReview({
          body: { spec: { resourceAttributes: { group: GROUP, resource: 'applications', verb, namespace } } },
        });
        const allowed = review.status?.allowed === true;
        out.push({
          area,
          check,
          status: allowed ? 'ok' : 'fail',
          ...(allowed
            ? {}
            : {
                fix: `a Role with get, patch, watch on applications.${GROUP} in ${namespace}, bound to Runway's identity (deploy/kubernetes/base/argocd-rbac.yaml)`,
              }),
        });
      } catch (err) {
        out.push({
          area,
          check,
          status: 'fail',
          detail: errorText(k8s, err),
          fix: 'check the kubeconfig and its credentials',
        });
      }
    }
  }
  const objects = kc.makeApiClient(k8s.CustomObjectsApi);
  for (const app of apps) {
    const namespace = app.namespace ?? home;
    const check = `${app.service}/${app.environment}: application ${namespace}/${app.name}`;
    try {
      const found: unknown = await objects.getNamespacedCustomObject({
        group: GROUP,
        version: 'v1alpha1',
        namespace,
        plural: 'applications',
        name: app.name,
      });
      const spec = record(record(found).spec);
      const automated = record(spec.syncPolicy).automated !== undefined;
      out.push({
        area,
        check,
        status: 'ok',
        detail: `project ${typeof spec.project === 'string' ? spec.project : 'default'}, sync ${automated ? 'automated' : 'manual'}`,
      });
    } catch (err) {
      out.push({
        area,
        check,
        status: 'fail',
        detail: errorText(k8s, err),
        fix: `check the name: kubectl -n ${namespace} get applications.${GROUP}`,
      });
    }
  }
  return out;
}

function errorText(k8s: typeof import('@kubernetes/client-node'), err: unknown): string {
  if (err instanceof k8s.ApiException) {
    const body = record(typeof err.body === 'string' ? safeJson(err.body) : err.body);
    return `HTTP ${err.code}${typeof body.message === 'string' ? ` ${body.message}` : ''}`;
  }
  return (err as Error).message;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
