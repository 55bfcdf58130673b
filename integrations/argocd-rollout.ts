// Argo Rollouts `Rollout`s read and driven through Argo CD: over its REST API (the live resource of an
// application, GetResource; the built-in Rollout resource actions, RunResourceActionV2, or RunResourceAction on a
// server older than 3.2) or, with the Kubernetes
// driver, straight on the Rollout object (get; a merge patch of its status subresource, as kubectl-argo-rollouts
// promote/abort send). Argo CD answers 400 "… not found as part of application …" for a Rollout its app does
// not manage and 403 "permission denied" when RBAC refuses the action: both are permanent, named failures.
import { redactSecrets } from '../platform/scrub.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { RolloutAction, RolloutRef } from '../domain/canary.js';
import { PermanentArgoCdError } from './argocd-status.js';

export interface RolloutPort {
  /** The live Rollout object (as `kubectl get rollout -o json`). */
  get(ref: RolloutRef): Promise<unknown>;
  /** Runs Argo CD's built-in action (or the kubectl plugin's status patch). */
  action(ref: RolloutRef, action: RolloutAction): Promise<void>;
}

/** A Rollout Argo CD does not know as part of the application, or that does not exist. */
export class RolloutNotFoundError extends PermanentArgoCdError {}

const GROUP = 'argoproj.io';
const VERSION = 'v1alpha1';
const NOT_IN_APP = /not found as part of application/i;

function serverMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string' && body.message) return body.message;
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}

/** The RBAC policy line Argo CD checks for an action (server/application/application.go RunResourceActionV2). */
export function actionPermission(ref: RolloutRef, action: RolloutAction): string {
  const object = ref.appNamespace
    ? `${ref.project ?? '<project>'}/${ref.appNamespace}/${ref.application}`
    : `${ref.project ?? '<project>'}/${ref.application}`;
  return `applications, action/${GROUP}/Rollout/${action}, ${object}`;
}

export function createRolloutApiClient(options: { url: string; token: string; timeoutMs?: number }): RolloutPort {
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const redact = (text: string): string => redactSecrets(text, [options.token]);
  const label = (ref: RolloutRef) => `Rollout ${ref.namespace}/${ref.name} of Argo CD application ${ref.application}`;

  const query = (ref: RolloutRef): string => {
    const q = new URLSearchParams({
      namespace: ref.namespace,
      resourceName: ref.name,
      version: VERSION,
      group: GROUP,
      kind: 'Rollout',
    });
    if (ref.appNamespace) q.set('appNamespace', ref.appNamespace);
    if (ref.project) q.set('project', ref.project);
    return q.toString();
  };

  /** Learnt from the server: it predates RunResourceActionV2, so actions go the deprecated way. */
  let v1Only = false;
  const v2Body = (ref: RolloutRef, action: RolloutAction) => ({
    name: ref.application,
    namespace: ref.namespace,
    resourceName: ref.name,
    version: VERSION,
    group: GROUP,
    kind: 'Rollout',
    action,
    ...(ref.appNamespace ? { appNamespace: ref.appNamespace } : {}),
    ...(ref.project ? { project: ref.project } : {}),
  });

  async function send(method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; text: string }> {
    try {
      const response = await fetch(base + path, {
        method,
        headers: {
          Authorization: `Bearer ${options.token}`,
          Accept: 'application/json',
          'Content-Type': 'application/json',
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: response.status, text: await response.text() };
    } catch (err) {
      throw new Error(redact(`Argo CD ${method} ${path.split('?')[0]} failed: ${(err as Error).message}`));
    }
  }

  function failure(
    ref: RolloutRef,
    what: string,
    reply: { status: number; text: string },
    action?: RolloutAction,
  ): Error {
    const message = serverMessage(reply.text);
    if (reply.status === 400 && NOT_IN_APP.test(message)) {
      return new RolloutNotFoundError(
        `${label(ref)} not found: Argo CD says "${message}" (check environments[].rollout in runway.yaml)`,
      );
    }
    if (reply.status === 403 && action) {
      return new PermanentArgoCdError(
        redact(
          `Argo CD refused to ${action} ${label(ref)}: HTTP 403 ${message}. Its RBAC must allow "${actionPermission(ref, action)}" for Runway's account`,
        ),
      );
    }
    const text = redact(`Argo CD ${what} ${label(ref)}: HTTP ${reply.status} ${message}`);
    return [400, 401, 403, 404].includes(reply.status) ? new PermanentArgoCdError(text) : new Error(text);
  }

  return {
    async get(ref) {
      const path = `/api/v1/applications/${encodeURIComponent(ref.application)}/resource?${query(ref)}`;
      const reply = await send('GET', path);
      if (reply.status !== 200) throw failure(ref, 'GET', reply);
      const manifest = (JSON.parse(reply.text) as { manifest?: string }).manifest;
      if (!manifest) throw new Error(`Argo CD GET ${label(ref)}: no manifest in the answer`);
      return JSON.parse(manifest) as unknown;
    },
    async action(ref, action) {
      const app = encodeURIComponent(ref.application);
      let reply: { status: number; text: string } | undefined;
      if (!v1Only) {
        // RunResourceActionV2 (Argo CD 3.2+): every field in the JSON body (`body: "*"`).
        reply = await send(
          'POST',
          `/api/v1/applications/${app}/resource/actions/v2`,
          JSON.stringify(v2Body(ref, action)),
        );
        // An older server has no such route: its gateway answers 404 "Not Found" (not an app or resource message).
        if (reply.status === 404 && serverMessage(reply.text) === 'Not Found') {
          v1Only = true;
          reply = undefined;
        }
      }
      // RunResourceAction (deprecated since 3.2): `body: "action"`, so the body is the action as a JSON string.
      reply ??= await send(
        'POST',
        `/api/v1/applications/${app}/resource/actions?${query(ref)}`,
        JSON.stringify(action),
      );
      if (reply.status !== 200) throw failure(ref, `action ${action} on`, reply, action);
    },
  };
}

/** kubectl-argo-rollouts' status patches (pkg/kubectl-argo-rollouts/cmd/promote, abort). */
const STATUS_PATCH: Record<RolloutAction, Record<string, unknown>> = {
  resume: { pauseConditions: null },
  'promote-full': { promoteFull: true },
  abort: { abort: true },
};

export function createRolloutKubernetesClient(options: {
  kubeConfig?: KubeConfig | 'default' | 'cluster';
}): RolloutPort {
  type K8s = typeof import('@kubernetes/client-node');
  let client: Promise<{ k8s: K8s; api: import('@kubernetes/client-node').CustomObjectsApi }> | undefined;
  const connect = () =>
    (client ??= import('@kubernetes/client-node').then((k8s) => {
      let kc: KubeConfig;
      if (typeof options.kubeConfig === 'object') kc = options.kubeConfig;
      else {
        kc = new k8s.KubeConfig();
        if (options.kubeConfig === 'cluster') kc.loadFromCluster();
        else kc.loadFromDefault();
      }
      return { k8s, api: kc.makeApiClient(k8s.CustomObjectsApi) };
    }));
  const label = (ref: RolloutRef) => `Rollout ${ref.namespace}/${ref.name}`;

  function mapError(k8s: K8s, ref: RolloutRef, verb: string, err: unknown): Error {
    if (err instanceof k8s.ApiException) {
      if (err.code === 404) {
        return new RolloutNotFoundError(
          `${label(ref)} not found (Kubernetes ${verb}: HTTP 404); check environments[].rollout in runway.yaml`,
        );
      }
      if (err.code === 403) {
        return new PermanentArgoCdError(
          `Kubernetes refused to ${verb} ${label(ref)}: HTTP 403; Runway's service account needs RBAC "${verb === 'GET' ? 'get' : 'patch'}" on rollouts${verb === 'GET' ? '' : '/status'}.argoproj.io in ${ref.namespace}`,
        );
      }
      const text = `Kubernetes ${verb} ${label(ref)}: HTTP ${err.code}`;
      return [400, 401, 415, 422].includes(err.code) ? new PermanentArgoCdError(text) : new Error(text);
    }
    return new Error(`Kubernetes ${verb} ${label(ref)} failed: ${(err as Error).message}`);
  }

  return {
    async get(ref) {
      const { k8s, api } = await connect();
      try {
        return (await api.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: ref.namespace,
          plural: 'rollouts',
          name: ref.name,
        })) as unknown;
      } catch (err) {
        throw mapError(k8s, ref, 'GET', err);
      }
    },
    async action(ref, action) {
      const { k8s, api } = await connect();
      const headers = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
      try {
        await api.patchNamespacedCustomObjectStatus(
          {
            group: GROUP,
            version: VERSION,
            namespace: ref.namespace,
            plural: 'rollouts',
            name: ref.name,
            body: { status: STATUS_PATCH[action] },
          },
          headers,
        );
      } catch (err) {
        throw mapError(k8s, ref, 'PATCH status', err);
      }
    },
  };
}
