// Argo CD's API for the resources an application manages, as far as Rollouts go (argo-cd
// server/application/application.go: ResourceTree, GetResource, RunResourceAction → RunResourceActionV2), and the
// Kubernetes API of argoproj.io/v1alpha1 rollouts (get, status subresource merge patch) that
// kubectl-argo-rollouts uses. Mounted on FakeArgoCd; the Rollouts live in FakeArgoRollouts.
import type { FakeRequest, FakeResponse } from './http-fake.js';
import type { FakeArgoRollouts, FakeRollout } from './argo-rollouts.js';

/** What the routes need of FakeArgoCd: auth, app lookup and its RBAC denials. */
export interface RolloutRoutesHost {
  rollouts?: FakeArgoRollouts;
  denied: ReadonlySet<string>;
  restAuth(req: FakeRequest): FakeResponse | undefined;
  kubeAuth(req: FakeRequest): FakeResponse | undefined;
  /** The app (name, project, namespace) or Argo CD's answer for an app that is not there / not allowed. */
  restApp(req: FakeRequest, name: string): { name: string; project: string; namespace: string } | FakeResponse;
  /** `<project>/<app>` or `<project>/<namespace>/<app>` (Application.RBACName). */
  rbacName(app: { name: string; project: string; namespace: string }): string;
}

const grpcError = (status: number, code: number, message: string): FakeResponse => ({
  status,
  body: { error: message, code, message, details: [] },
});

function kubeNotFound(name: string): FakeResponse {
  const message = `rollouts.argoproj.io "${name}" not found`;
  return {
    status: 404,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason: 'NotFound',
      details: { name, group: 'argoproj.io', kind: 'rollouts' },
      code: 404,
    },
  };
}

/** One node of ApplicationTree (v1alpha1.ResourceNode). */
function treeNode(host: RolloutRoutesHost, rollout: FakeRollout) {
  const health = host.rollouts!.health(rollout);
  return {
    group: 'argoproj.io',
    version: 'v1alpha1',
    kind: 'Rollout',
    namespace: rollout.metadata.namespace,
    name: rollout.metadata.name,
    uid: rollout.metadata.uid,
    resourceVersion: rollout.metadata.resourceVersion,
    health,
    images: rollout.spec.template.spec.containers.map((c) => c.image),
    createdAt: '2026-01-01T00:00:00Z',
  };
}

/** GET /api/v1/applications/{applicationName}/resource-tree (Server.ResourceTree: RBAC `get`). */
export function resourceTree(host: RolloutRoutesHost, req: FakeRequest, name: string): FakeResponse {
  const app = host.restAuth(req) ?? host.restApp(req, name);
  if ('status' in app && 'body' in app) return app;
  const found = app as { name: string; project: string; namespace: string };
  if (host.denied.has(`applications/get/${host.rbacName(found)}`)) return grpcError(403, 7, 'permission denied');
  const nodes = (host.rollouts?.ofApplication(name) ?? []).map((r) => treeNode(host, r));
  return { status: 200, body: { nodes } };
}

/**
 * getAppLiveResource: the resource must be a node of the app's tree, else InvalidArgument
 * "<kind> <group> <name> not found as part of application <app>".
 */
function liveRollout(
  host: RolloutRoutesHost,
  req: FakeRequest,
  name: string,
  rbacAction: (q: URLSearchParams) => string,
  fields: URLSearchParams = req.query,
): { rollout: FakeRollout } | FakeResponse {
  const app = host.restAuth(req) ?? host.restApp(req, name);
  if ('status' in app && 'body' in app) return app;
  const found = app as { name: string; project: string; namespace: string };
  const q = fields;
  // RBAC first (getApplicationEnforceRBACInformer), with the app's real project.
  if (host.denied.has(`applications/${rbacAction(q)}/${host.rbacName(found)}`)) {
    return grpcError(403, 7, 'permission denied');
  }
  const kind = q.get('kind') ?? '';
  const group = q.get('group') ?? '';
  const resourceName = q.get('resourceName') ?? '';
  const namespace = q.get('namespace') ?? '';
  const rollout =
    kind === 'Rollout' && group === 'argoproj.io'
      ? host.rollouts
          ?.ofApplication(name)
          .find((r) => r.metadata.name === resourceName && r.metadata.namespace === namespace)
      : undefined;
  if (!rollout) return grpcError(400, 3, `${kind} ${group} ${resourceName} not found as part of application ${name}`);
  return { rollout };
}

/** GET /api/v1/applications/{name}/resource: `{manifest}`, the live object as a JSON string. */
export function getResource(host: RolloutRoutesHost, req: FakeRequest, name: string): FakeResponse {
  const live = liveRollout(host, req, name, () => 'get');
  if (!('rollout' in live)) return live;
  return { status: 200, body: { manifest: JSON.stringify(live.rollout) } };
}

/**
 * POST /api/v1/applications/{name}/resource/actions (RunResourceAction, body: the action name as a JSON string;
 * namespace, resourceName, version, group, kind in the query). RBAC `action/<group>/<kind>/<action>`; an action
 * with no built-in script fails in GetResourceAction with codes.Unknown (HTTP 500).
 */
export function runResourceAction(host: RolloutRoutesHost, req: FakeRequest, name: string): FakeResponse {
  let action: unknown;
  try {
    action = req.body ? JSON.parse(req.body) : req.query.get('action');
  } catch {
    return grpcError(400, 3, 'invalid character in request body');
  }
  if (typeof action !== 'string' || !action) return grpcError(400, 3, 'action is required');
  const live = liveRollout(host, req, name, (q) => `action/${q.get('group') ?? ''}/${q.get('kind') ?? ''}/${action}`);
  if (!('rollout' in live)) return live;
  const { namespace, name: rolloutName } = live.rollout.metadata;
  if (!host.rollouts!.runAction(namespace, rolloutName, action)) {
    return grpcError(500, 2, 'error getting Lua resource action: built-in script does not exist');
  }
  return { status: 200, body: {} };
}

/**
 * POST /api/v1/applications/{name}/resource/actions/v2 (RunResourceActionV2, Argo CD 3.2+; `body: "*"`: name,
 * namespace, resourceName, version, group, kind, action, appNamespace, project, resourceActionParameters in the
 * JSON body). Same RBAC and answers as the deprecated form. With `v2: false` (a server before 3.2) the route does
 * not exist and grpc-gateway's routing error answers 404 `{"code":5,"message":"Not Found"}`.
 */
export function runResourceActionV2(
  host: RolloutRoutesHost,
  req: FakeRequest,
  name: string,
  v2: boolean,
): FakeResponse {
  if (!v2) return grpcError(404, 5, 'Not Found');
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(req.body || 'null') as Record<string, unknown>;
  } catch {
    return grpcError(400, 3, 'invalid character in request body');
  }
  if (body === null || typeof body !== 'object') return grpcError(400, 3, 'invalid request body');
  const action = body.action;
  if (typeof action !== 'string' || !action) return grpcError(400, 3, 'action is required');
  const fields = new URLSearchParams();
  for (const key of ['namespace', 'resourceName', 'version', 'group', 'kind', 'appNamespace', 'project'])
    if (typeof body[key] === 'string') fields.set(key, body[key]);
  const live = liveRollout(
    host,
    req,
    name,
    (q) => `action/${q.get('group') ?? ''}/${q.get('kind') ?? ''}/${action}`,
    fields,
  );
  if (!('rollout' in live)) return live;
  const { namespace, name: rolloutName } = live.rollout.metadata;
  if (!host.rollouts!.runAction(namespace, rolloutName, action)) {
    return grpcError(500, 2, 'error getting Lua resource action: built-in script does not exist');
  }
  return { status: 200, body: {} };
}

/** GET /apis/argoproj.io/v1alpha1/namespaces/{ns}/rollouts/{name}. */
export function kubeGetRollout(host: RolloutRoutesHost, req: FakeRequest, ns: string, name: string): FakeResponse {
  const denied = host.kubeAuth(req);
  if (denied) return denied;
  const rollout = host.rollouts?.get(ns, name);
  return rollout ? { status: 200, body: rollout } : kubeNotFound(name);
}

/** PATCH …/rollouts/{name}/status with a merge patch `{"status": {…}}` (the status subresource ignores the rest). */
export function kubePatchRolloutStatus(
  host: RolloutRoutesHost,
  req: FakeRequest,
  ns: string,
  name: string,
): FakeResponse {
  const denied = host.kubeAuth(req);
  if (denied) return denied;
  if ((req.headers['content-type'] ?? '').split(';')[0]!.trim() !== 'application/merge-patch+json') {
    return {
      status: 415,
      body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'UnsupportedMediaType', code: 415 },
    };
  }
  let patch: { status?: Record<string, unknown> };
  try {
    patch = JSON.parse(req.body) as { status?: Record<string, unknown> };
  } catch {
    return { status: 400, body: { kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 } };
  }
  const rollout = host.rollouts?.patchStatus(ns, name, patch.status ?? {});
  return rollout ? { status: 200, body: rollout } : kubeNotFound(name);
}
