// ArgoCdPort through the Kubernetes API: the Application custom resource is read directly, and a sync is a
// JSON merge patch that sets `operation` (the route Argo CD documents for kubectl), so no Argo CD API
// server or token is needed, only RBAC on applications.argoproj.io.
import type { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { AppStatus, ArgoCdPort } from '../ports.js';
import {
  activeOperation,
  DEFAULT_BUSY_WAIT,
  PermanentArgoCdError,
  toAppStatus,
  untilIdle,
  type BusyWaitOptions,
} from './argocd-status.js';

export interface ArgoCdKubernetesOptions {
  /** A ready KubeConfig, or where to load one from; defaults to `'default'` (KUBECONFIG or ~/.kube/config). */
  kubeConfig?: KubeConfig | 'default' | 'cluster';
  /** Namespace of the Application resources (where Argo CD runs, usually `argocd`). */
  namespace: string;
  /** Argo CD UI base URL for links. */
  uiUrl?: string;
  /** How long `sync` waits out someone else's operation. */
  busyWait?: Partial<BusyWaitOptions>;
}

type K8s = typeof import('@kubernetes/client-node');

const GROUP = 'argoproj.io';
const VERSION = 'v1alpha1';
const PLURAL = 'applications';
const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';
// 400 malformed patch, 415 patch type refused, 422 schema validation: resending the same request cannot help.
const PERMANENT_CODES = [400, 401, 403, 404, 415, 422];

// Loaded on first use, so wiring that imports this driver but configures the REST one never loads the
// Kubernetes client (2.x cannot even load on Node < 22.19; there the failure is not catchable either).
let k8sModule: Promise<K8s> | undefined;
function loadK8s(): Promise<K8s> {
  k8sModule ??= import('@kubernetes/client-node').catch((err: unknown) => {
    throw new PermanentArgoCdError(`@kubernetes/client-node failed to load: ${(err as Error).message}`);
  });
  return k8sModule;
}

interface Client {
  k8s: K8s;
  api: CustomObjectsApi;
  token?: string;
}

function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.slice(0, 200) || undefined;
    }
  }
  const message = (parsed as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
}

export function createArgoCdKubernetesClient(options: ArgoCdKubernetesOptions): ArgoCdPort {
  const { namespace } = options;
  const wait: BusyWaitOptions = { ...DEFAULT_BUSY_WAIT, ...options.busyWait };
  let client: Promise<Client> | undefined;

  function connect(): Promise<Client> {
    client ??= loadK8s().then((k8s) => {
      let kc: KubeConfig;
      if (typeof options.kubeConfig === 'object') kc = options.kubeConfig;
      else {
        kc = new k8s.KubeConfig();
        try {
          if (options.kubeConfig === 'cluster') kc.loadFromCluster();
          else kc.loadFromDefault();
        } catch (err) {
          // A missing or broken kubeconfig is a deployment mistake, not something a retry fixes.
          throw new PermanentArgoCdError(`cannot load the kubeconfig: ${(err as Error).message}`);
        }
      }
      return { k8s, api: kc.makeApiClient(k8s.CustomObjectsApi), token: kc.getCurrentUser()?.token };
    });
    return client;
  }

  function mapError({ k8s, token }: Client, verb: string, name: string, err: unknown): Error {
    const what = `Argo CD application ${namespace}/${name}: Kubernetes ${verb}`;
    let message: string;
    let permanent = false;
    if (err instanceof k8s.ApiException) {
      message = `${what}: HTTP ${err.code} ${statusMessage(err.body) ?? ''}`.trimEnd();
      permanent = PERMANENT_CODES.includes(err.code);
    } else {
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      message = `${what} failed: ${err instanceof Error ? err.message : String(err)}${cause}`;
    }
    if (token) message = message.split(token).join('[redacted]');
    return permanent ? new PermanentArgoCdError(message) : new Error(message);
  }

  const isConflict = (c: Client, err: unknown): boolean => err instanceof c.k8s.ApiException && err.code === 409;

  async function get(c: Client, name: string): Promise<unknown> {
    try {
      return await c.api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name });
    } catch (err) {
      throw mapError(c, 'GET', name, err);
    }
  }

  /** Sends a JSON merge patch; the generated client would otherwise default to a JSON (6902) patch. */
  async function mergePatch(c: Client, name: string, body: object): Promise<unknown> {
    const headers = c.k8s.setHeaderOptions('Content-Type', c.k8s.PatchStrategy.MergePatch);
    return c.api.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body },
      headers,
    );
  }

  return {
    async sync(application: string, revision: string): Promise<void> {
      const c = await connect();
      await untilIdle(application, wait, async () => {
        const app = await get(c, application);
        const active = activeOperation(app);
        // A retried activity may find its own earlier operation still pending or running: that is success.
        if (active) return active.revision === revision ? 'done' : { busyWith: active.revision };
        const resourceVersion = (app as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
        const body = {
          // Precondition: if anyone changed the app since the GET (maybe setting their own operation), the
          // API server answers 409 instead of letting this patch overwrite it.
          ...(resourceVersion ? { metadata: { resourceVersion } } : {}),
          operation: {
            initiatedBy: { username: 'runway' },
            sync: { revision, prune: false, syncStrategy: { hook: {} } },
          },
        };
        try {
          await mergePatch(c, application, body);
          return 'done';
        } catch (err) {
          if (isConflict(c, err)) return {};
          throw mapError(c, 'PATCH', application, err);
        }
      });
    },

    async getStatus(application: string, opts?: { refresh?: 'normal' | 'hard' }): Promise<AppStatus> {
      const c = await connect();
      if (!opts?.refresh) return toAppStatus(await get(c, application));
      // The controller refreshes on this annotation and removes it; the patch answers with the current object.
      try {
        const patched = await mergePatch(c, application, {
          metadata: { annotations: { [REFRESH_ANNOTATION]: opts.refresh } },
        });
        return toAppStatus(patched);
      } catch (err) {
        throw mapError(c, 'PATCH', application, err);
      }
    },

    appUrl(application: string): string {
      const base = (options.uiUrl ?? '').replace(/\/+$/, '');
      return `${base}/applications/${encodeURIComponent(namespace)}/${encodeURIComponent(application)}`;
    },
  };
}
