// ArgoCdPort through the Kubernetes API: the Application custom resource is read directly, and a sync is a
// JSON merge patch that sets `operation` (the route Argo CD documents for kubectl), so no Argo CD API
// server or token is needed, only RBAC on applications.argoproj.io.
import type { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type {
  AppStatus,
  ArgoAppRef,
  ArgoAppTarget,
  ArgoCdPort,
  SyncOutcome,
  SyncRequest,
} from '../activities/ports.js';
import {
  activeOperation,
  appRef,
  decidingSource,
  destinationOf,
  PermanentArgoCdError,
  toAppStatus,
} from './argocd-status.js';
import { syncAllowedAt, windowsFor, type SyncWindowSpec } from './argocd-sync-windows.js';
import { redactSecrets } from '../platform/scrub.js';

export interface ArgoCdKubernetesOptions {
  /** A ready KubeConfig, or where to load one from; defaults to `'default'` (KUBECONFIG or ~/.kube/config). */
  kubeConfig?: KubeConfig | 'default' | 'cluster';
  /**
   * Argo CD's own namespace (usually `argocd`): where its AppProjects live, and the Applications unless an
   * app names its own namespace (apps in any namespace).
   */
  namespace: string;
  /** Argo CD UI base URL for links. */
  uiUrl?: string;
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

/** Attempts of a sync whose resourceVersion precondition lost to another writer (409). */
const CONFLICT_ATTEMPTS = 4;

export function createArgoCdKubernetesClient(options: ArgoCdKubernetesOptions): ArgoCdPort {
  const home = options.namespace;
  let client: Promise<Client> | undefined;
  const nsOf = (ref: ArgoAppRef): string => ref.namespace ?? home;

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

  function mapError({ k8s, token }: Client, verb: string, what: string, err: unknown): Error {
    const prefix = `Argo CD ${what}: Kubernetes ${verb}`;
    let message: string;
    let permanent = false;
    if (err instanceof k8s.ApiException) {
      message = `${prefix}: HTTP ${err.code} ${statusMessage(err.body) ?? ''}`.trimEnd();
      permanent = PERMANENT_CODES.includes(err.code);
    } else {
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      message = `${prefix} failed: ${err instanceof Error ? err.message : String(err)}${cause}`;
    }
    message = redactSecrets(message, [token]);
    return permanent ? new PermanentArgoCdError(message) : new Error(message);
  }

  const label = (ref: ArgoAppRef) => `application ${nsOf(ref)}/${ref.name}`;
  const isConflict = (c: Client, err: unknown): boolean => err instanceof c.k8s.ApiException && err.code === 409;

  async function get(c: Client, ref: ArgoAppRef): Promise<unknown> {
    try {
      return await c.api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: nsOf(ref),
        plural: PLURAL,
        name: ref.name,
      });
    } catch (err) {
      throw mapError(c, 'GET', label(ref), err);
    }
  }

  /** Sends a JSON merge patch; the generated client would otherwise default to a JSON (6902) patch. */
  async function mergePatch(c: Client, ref: ArgoAppRef, body: object): Promise<unknown> {
    const headers = c.k8s.setHeaderOptions('Content-Type', c.k8s.PatchStrategy.MergePatch);
    return c.api.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: nsOf(ref), plural: PLURAL, name: ref.name, body },
      headers,
    );
  }

  /** The operation a sync sets (docs/user-guide/sync-kubectl.md): multi-source apps name every source's revision. */
  function operationFor(app: unknown, ref: ArgoAppRef, wanted: SyncRequest): Record<string, unknown> {
    const sync: Record<string, unknown> = { prune: false, syncStrategy: { hook: {} } };
    if (wanted.revision !== undefined) {
      const { index, count } = decidingSource(app, ref);
      if (count > 1) {
        const sources = (app as { spec?: { sources?: { targetRevision?: string }[] } }).spec?.sources ?? [];
        sync.revisions = sources.map((s, i) => (i === index ? wanted.revision : (s.targetRevision ?? 'HEAD')));
      } else sync.revision = wanted.revision;
    }
    return { initiatedBy: { username: 'runway' }, sync };
  }

  async function syncWindowEnd(target: ArgoAppTarget): Promise<string | undefined> {
    const ref = appRef(target);
    const c = await connect();
    const app = await get(c, ref);
    const project = (app as { spec?: { project?: string } }).spec?.project ?? 'default';
    let windows: SyncWindowSpec[];
    try {
      const proj = (await c.api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: home,
        plural: 'appprojects',
        name: project,
      })) as { spec?: { syncWindows?: SyncWindowSpec[] } };
      windows = proj.spec?.syncWindows ?? [];
    } catch {
      return undefined; // no RBAC on appprojects: the release says "blocked" without an end
    }
    const dest = destinationOf(app);
    const mine = windowsFor(windows, {
      name: ref.name,
      destinationNamespace: dest.namespace,
      destinationServer: dest.server,
      destinationName: dest.name,
    });
    return syncAllowedAt(mine, new Date(), true)?.toISOString();
  }

  return {
    async sync(target, request?: string | SyncRequest): Promise<SyncOutcome> {
      const ref = appRef(target);
      const wanted: SyncRequest = typeof request === 'string' ? { revision: request } : (request ?? {});
      const c = await connect();
      for (let attempt = 1; ; attempt++) {
        const app = await get(c, ref);
        const { index, count } = decidingSource(app, ref);
        // The same guard SetAppOperation has: never overwrite an operation that is pending or running.
        const active = activeOperation(app, index, count > 1);
        if (active) return { state: 'busy', revision: active.revision };
        const resourceVersion = (app as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
        const body = {
          // Precondition: if anyone changed the app since the GET (maybe setting their own operation), the
          // API server answers 409 instead of letting this patch overwrite it.
          ...(resourceVersion ? { metadata: { resourceVersion } } : {}),
          operation: operationFor(app, ref, wanted),
        };
        try {
          await mergePatch(c, ref, body);
          return { state: 'started', revision: wanted.revision };
        } catch (err) {
          if (!isConflict(c, err)) throw mapError(c, 'PATCH', label(ref), err);
          if (attempt >= CONFLICT_ATTEMPTS) return { state: 'busy' };
        }
      }
    },

    async getStatus(target, opts?: { refresh?: 'normal' | 'hard' }): Promise<AppStatus> {
      const ref = appRef(target);
      const c = await connect();
      if (!opts?.refresh) return toAppStatus(await get(c, ref), ref);
      // The controller refreshes on this annotation and removes it; the patch answers with the current object.
      try {
        const patched = await mergePatch(c, ref, {
          metadata: { annotations: { [REFRESH_ANNOTATION]: opts.refresh } },
        });
        return toAppStatus(patched, ref);
      } catch (err) {
        throw mapError(c, 'PATCH', label(ref), err);
      }
    },

    syncWindowEnd,

    appUrl(target): string {
      const ref = appRef(target);
      const base = (options.uiUrl ?? '').replace(/\/+$/, '');
      return `${base}/applications/${encodeURIComponent(nsOf(ref))}/${encodeURIComponent(ref.name)}`;
    },
  };
}
