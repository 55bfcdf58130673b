// A fake Argo CD built from Argo CD's own server and controller code (v3.x; citations in docs/fakes.md):
// its REST API (grpc-gateway shapes: Server.Get with refresh, Server.Sync, …/syncwindows) and the Kubernetes
// route for Application and AppProject resources, over one store, plus a controller that follows a real
// infra repository: every refresh (a poll every `pollMs`, a REST `?refresh=`, the refresh annotation) resolves
// the app's targetRevision to the branch head (`status.sync.revision`), compares what it renders with what
// runs (Synced/OutOfSync) and, for auto-sync apps, starts its own sync (`initiatedBy.automated`). Requested
// operations run (Running → Succeeded/Failed/Error), then health settles (Progressing → Healthy/Degraded/
// Missing/Suspended). Sync windows, multi-source apps and apps in any namespace behave as upstream.
import { HttpFake, type FakeRequest, type FakeResponse } from './http-fake.js';
import { canSync, windowActive, windowsMatching, type FakeSyncWindow } from './argocd-sync-windows.js';
import type { FakeArgoRollouts } from './argo-rollouts.js';
import * as rolloutRoutes from './argocd-rollout-routes.js';

export type { FakeSyncWindow } from './argocd-sync-windows.js';

type Json = Record<string, unknown>;

export interface FakeOperation {
  sync?: {
    revision?: string;
    revisions?: string[];
    prune?: boolean;
    syncStrategy?: unknown;
  };
  initiatedBy?: { username?: string; automated?: boolean };
  retry?: { limit?: number };
}

export interface FakeOperationState {
  phase: 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded';
  message?: string;
  operation: FakeOperation;
  startedAt: string;
  finishedAt?: string;
  syncResult?: { revision: string; revisions?: string[]; resources: Json[] };
}

export interface FakeSource {
  repoURL: string;
  path?: string;
  chart?: string;
  targetRevision?: string;
}

export interface FakeApplication {
  apiVersion: 'argoproj.io/v1alpha1';
  kind: 'Application';
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    generation: number;
    creationTimestamp: string;
    annotations?: Record<string, string>;
  };
  spec: {
    project: string;
    source?: FakeSource;
    sources?: FakeSource[];
    destination: { server?: string; name?: string; namespace?: string };
    syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean; enabled?: boolean } };
  } & Json;
  operation?: FakeOperation;
  status: {
    sync: { status: 'Synced' | 'OutOfSync' | 'Unknown'; revision?: string; revisions?: string[] };
    health: { status: string; message?: string };
    operationState?: FakeOperationState;
    history: Json[];
    summary: { images: string[] };
    reconciledAt?: string;
  };
}

export interface FakeAppInit {
  /** The revision it was last synced to (default: a placeholder sha). */
  revision?: string;
  image?: string;
  /** `spec.syncPolicy.automated` (auto-sync, prune + selfHeal). */
  automated?: boolean;
  /** The namespace the Application lives in (apps in any namespace); default: the fake's own. */
  namespace?: string;
  project?: string;
  targetRevision?: string;
  /** Multi-source: these sources come before the infra repo's source (e.g. a Helm chart). */
  extraSources?: FakeSource[];
}

export interface FakeArgoCdOptions {
  /** Bearer token both APIs accept. */
  token?: string;
  /** Argo CD's own namespace (AppProjects, and Applications by default). */
  namespace?: string;
  /** Further namespaces Applications may live in (`application.namespaces`). */
  appNamespaces?: string[];
  /** RunResourceActionV2 exists (Argo CD 3.2+, the default); false plays an older server that has only the V1 form. */
  resourceActionsV2?: boolean;
  /** repoURL of the infra repository the apps' (infra) source points at. */
  repoURL?: string;
  /** Delay before the controller picks up a requested operation or refresh. */
  pickupMs?: number;
  /** How long an operation stays Running. */
  operationMs?: number;
  /** How long health stays Progressing after a successful sync. */
  healthyAfterMs?: number;
  /**
   * How long after an operation finishes the controller's follow-up reconcile comes (default `pickupMs`). Until
   * then `status.sync`, `status.health` and `reconciledAt` are the last reconcile's, from before the operation.
   */
  reconcileAfterMs?: number;
  /** The controller's own refresh interval (timeout.reconciliation; 180 s upstream). 0: refresh only on request. */
  pollMs?: number;
  /** The image an app renders at a revision (e.g. read from the infra repo at that commit); default: `images`. */
  resolveImage?: (revision: string, app: string) => string | undefined | Promise<string | undefined>;
  /** targetRevision (branch, tag, sha, HEAD) → commit sha, as the repo server's ls-remote; undefined: unknown. */
  resolveRevision?: (revision: string) => string | undefined | Promise<string | undefined>;
  /** Images that never become ready: the app turns Degraded. */
  isBadImage?: (image: string) => boolean;
  /** Images whose rollout pauses (e.g. an Argo Rollouts canary step): the app turns Suspended. */
  isSuspendedImage?: (image: string) => boolean;
}

export interface FakeSyncRequestRecord {
  application: string;
  namespace: string;
  via: 'rest' | 'kubernetes';
  body: Json;
  outcome: number;
}

const REFRESH = 'argocd.argoproj.io/refresh';
const KUBE_PATH = '/apis/argoproj.io/v1alpha1/namespaces/:ns/applications/:name';
const PROJECT_PATH = '/apis/argoproj.io/v1alpha1/namespaces/:ns/appprojects/:name';
const SHA = /^[0-9a-f]{40}$/;

const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const clone = <T>(value: T): T => structuredClone(value);
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const result: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** RFC 6902 add/replace/remove: enough for what Argo CD's own controller sends. */
function jsonPatch(doc: unknown, ops: unknown[]): unknown {
  const root: Json = { doc: clone(doc) };
  for (const raw of ops) {
    const { op, path, value } = raw as { op?: string; path?: string; value?: unknown };
    if (typeof path !== 'string' || (path !== '' && !path.startsWith('/'))) throw new Error(`invalid path ${path}`);
    const tokens = path.split('/').slice(1);
    const keys = ['doc', ...tokens.map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))];
    const last = keys.pop()!;
    let parent: unknown = root;
    for (const key of keys) parent = parent !== null && typeof parent === 'object' ? (parent as Json)[key] : undefined;
    if (parent === null || typeof parent !== 'object') throw new Error(`doc is missing path: ${path}`);
    const container = parent as Json;
    const list = Array.isArray(parent) ? (parent as unknown[]) : undefined;
    const index = last === '-' && list ? list.length : Number(last);
    if (op === 'add') {
      if (list) list.splice(index, 0, clone(value));
      else container[last] = clone(value);
    } else if (op === 'replace' || op === 'remove') {
      if (!(last in container)) throw new Error(`doc is missing path: ${path}`);
      if (op === 'replace') container[last] = clone(value);
      else if (list) list.splice(index, 1);
      else delete container[last];
    } else throw new Error(`unsupported operation ${op}`);
  }
  return root.doc;
}

/** grpc-gateway v1 error body, as Argo CD's REST API sends it. */
function grpcError(status: number, code: number, message: string): FakeResponse {
  return { status, body: { error: message, code, message, details: [] } };
}

/** A Kubernetes `Status` failure object. */
function kubeStatus(code: number, reason: string, message: string, name?: string): FakeResponse {
  const details = name ? { name, group: 'argoproj.io', kind: 'applications' } : undefined;
  return {
    status: code,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code },
  };
}

export class FakeArgoCd {
  readonly http = new HttpFake('argocd');
  readonly token: string;
  readonly namespace: string;
  private readonly resourceActionsV2: boolean;
  readonly appNamespaces: string[];
  readonly repoURL: string;
  /** Default image source: revision → image. */
  readonly images = new Map<string, string>();
  resolveImage: (revision: string, app: string) => string | undefined | Promise<string | undefined>;
  resolveRevision: (revision: string) => string | undefined | Promise<string | undefined>;
  isBadImage: (image: string) => boolean;
  isSuspendedImage: (image: string) => boolean;
  pickupMs: number;
  operationMs: number;
  healthyAfterMs: number;
  reconcileAfterMs: number;
  /** Every refresh asked for, by either API. */
  readonly refreshes: { application: string; kind: string; via: 'rest' | 'kubernetes' }[] = [];
  /** Every sync request (REST body or the operation a PATCH set) and its HTTP status. */
  readonly syncRequests: FakeSyncRequestRecord[] = [];
  /** Operations the controller started, with who started them. */
  readonly operationsStarted: { application: string; revision: string; automated: boolean }[] = [];

  private readonly apps = new Map<string, FakeApplication>();
  private readonly projects = new Map<string, FakeSyncWindow[]>();
  private readonly failing = new Map<string, string>();
  private readonly missing = new Set<string>();
  private readonly runningOverride = new Map<string, number>();
  private readonly pendingStart = new Set<string>();
  private readonly epochs = new Map<string, number>();
  /** What runs in the cluster (the images of the live Deployment): changed only by a sync. */
  private readonly live = new Map<string, string[]>();
  /** A successful sync whose result no reconcile has looked at yet (the window after the operation). */
  private readonly unobserved = new Map<
    string,
    { revision: string; revisions?: string[]; image?: string; epoch: number }
  >();
  private readonly running = new Map<string, number>();
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly queuedRefresh = new Map<string, Promise<void>>();
  private operationSeq = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private poller?: NodeJS.Timeout;
  private resourceVersion = 1000;
  private closed = false;

  constructor(options: FakeArgoCdOptions = {}) {
    this.token = options.token ?? 'argocd-test-token';
    this.namespace = options.namespace ?? 'argocd';
    this.appNamespaces = options.appNamespaces ?? [];
    this.resourceActionsV2 = options.resourceActionsV2 ?? true;
    this.repoURL = options.repoURL ?? 'https://git.example.com/infra.git';
    this.pickupMs = options.pickupMs ?? 5;
    this.operationMs = options.operationMs ?? 20;
    this.healthyAfterMs = options.healthyAfterMs ?? 30;
    this.reconcileAfterMs = options.reconcileAfterMs ?? this.pickupMs;
    this.resolveImage = options.resolveImage ?? ((revision) => this.images.get(revision));
    // Without a repository behind it, a sha resolves to itself and a branch to nothing known.
    this.resolveRevision = options.resolveRevision ?? ((revision) => (SHA.test(revision) ? revision : undefined));
    this.isBadImage = options.isBadImage ?? (() => false);
    this.isSuspendedImage = options.isSuspendedImage ?? (() => false);
    this.http
      .route('GET', '/api/v1/applications/:name', (req, p) => this.restGet(req, p.name!))
      .route('POST', '/api/v1/applications/:name/sync', (req, p) => this.restSync(req, p.name!))
      .route('GET', '/api/v1/account/can-i/:resource/:action/:subresource*', (req, p) =>
        this.canI(req, p.resource!, p.action!, p.subresource!),
      )
      .route('GET', '/api/v1/applications/:name/syncwindows', (req, p) => this.restSyncWindows(req, p.name!))
      .route('GET', KUBE_PATH, (req, p) => this.kubeGet(req, p.ns!, p.name!))
      .route('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', (req) => this.kubeAccessReview(req))
      .route('PATCH', KUBE_PATH, (req, p) => this.kubePatch(req, p.ns!, p.name!))
      .route('GET', PROJECT_PATH, (req, p) => this.kubeGetProject(req, p.ns!, p.name!));
    this.routeRollouts();
    this.testControls();
    const pollMs = options.pollMs ?? 0;
    if (pollMs > 0) {
      // The controller's periodic refresh (appcontroller.go needRefreshAppStatus: reconciliation timeout).
      this.poller = setInterval(() => {
        for (const key of this.apps.keys()) void this.refresh(key, { poll: true }).catch(() => undefined);
      }, pollMs);
    }
  }

  async listen(): Promise<string> {
    return this.http.listen();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.http.close();
  }

  get url(): string {
    return this.http.url;
  }

  /** Creates an application that is Synced and Healthy on `revision`, after a completed sync to it. */
  addApp(name: string, init: FakeAppInit = {}): FakeApplication {
    const revision = init.revision ?? 'initial0000000000000000000000000000000000';
    const namespace = init.namespace ?? this.namespace;
    const targetRevision = init.targetRevision ?? 'main';
    const infraSource: FakeSource = { repoURL: this.repoURL, path: `apps/${name}`, targetRevision };
    const sources = init.extraSources ? [...init.extraSources, infraSource] : undefined;
    const revisionsFor = (rev: string) => sources?.map((s) => (s === infraSource ? rev : (s.targetRevision ?? 'HEAD')));
    const operation: FakeOperation = {
      sync: sources ? { revisions: revisionsFor(revision) } : { revision },
      initiatedBy: { username: 'admin' },
    };
    const app: FakeApplication = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name,
        namespace,
        uid: `00000000-0000-4000-8000-${String(this.apps.size + 1).padStart(12, '0')}`,
        resourceVersion: this.nextVersion(),
        generation: 1,
        creationTimestamp: now(),
      },
      spec: {
        project: init.project ?? 'default',
        ...(sources ? { sources } : { source: infraSource }),
        destination: { server: 'https://kubernetes.default.svc', namespace: name },
        ...(init.automated ? { syncPolicy: { automated: { prune: true, selfHeal: true } } } : {}),
      },
      status: {
        sync: sources ? { status: 'Synced', revisions: revisionsFor(revision) } : { status: 'Synced', revision },
        health: { status: 'Healthy' },
        operationState: {
          phase: 'Succeeded',
          message: 'successfully synced (all tasks run)',
          operation,
          startedAt: now(),
          finishedAt: now(),
          syncResult: sources
            ? { revision: '', revisions: revisionsFor(revision), resources: [] }
            : { revision, resources: [] },
        },
        history: [],
        summary: { images: init.image ? [init.image] : [] },
        reconciledAt: now(),
      },
    };
    if (init.image) this.images.set(revision, init.image);
    this.apps.set(this.key(namespace, name), app);
    this.live.set(this.key(namespace, name), init.image ? [init.image] : []);
    return clone(app);
  }

  /** A snapshot of the application as stored. */
  app(name: string, namespace = this.findNamespace(name)): FakeApplication {
    const app = this.apps.get(this.key(namespace, name));
    if (!app) throw new Error(`fake argocd: no application ${namespace}/${name}`);
    return clone(app);
  }

  /** The AppProject's `spec.syncWindows` (replacing earlier ones); the project is created on first use. */
  setSyncWindows(project: string, windows: FakeSyncWindow[]): void {
    this.projects.set(project, clone(windows));
    // A window closing does not wake the controller upstream either; pending operations re-check on a timer.
  }

  /** Sync operations to `revision` end Failed (e.g. a manifest the API server rejects). */
  failOperation(revision: string, message = 'one or more objects failed to apply (dry run)'): void {
    this.failing.set(revision, message);
  }

  /** Undoes failOperation: the next sync to `revision` succeeds. */
  clearFailure(revision: string): void {
    this.failing.delete(revision);
  }

  /** After a sync to `revision`, the app's health stays Missing (its resources never appear). */
  stayMissing(revision: string): void {
    this.missing.add(revision);
  }

  /** Someone else's sync: sets `operation` (bypassing the REST guard) and keeps it Running `runningMs`. */
  startOperation(name: string, revision: string, opts: { runningMs?: number; username?: string } = {}): void {
    const key = this.key(this.findNamespace(name), name);
    const app = this.require(key);
    app.operation = {
      sync: { revision, syncStrategy: { hook: {} } },
      initiatedBy: { username: opts.username ?? 'someone' },
    };
    if (opts.runningMs !== undefined) this.runningOverride.set(key, opts.runningMs);
    this.touch(app);
    this.reconcile(key);
  }

  // ---- test controls: what happens in a cluster between releases, reported as Argo CD reports it ----

  /**
   * The workload breaks on its own (pods crash-loop, a node is lost): the health assessment of the Deployment
   * turns the app Degraded (`health.status` with the Deployment's condition as message), or Missing when its
   * resources are gone. A later sync's rollout decides health again, as upstream.
   */
  setHealth(name: string, health: 'Healthy' | 'Degraded' | 'Missing' | 'Progressing', message?: string): void {
    const key = this.key(this.findNamespace(name), name);
    const app = this.require(key);
    this.epochs.set(key, (this.epochs.get(key) ?? 0) + 1); // a pending rollout no longer decides
    app.status.health =
      health === 'Degraded' && message === undefined
        ? { status: 'Degraded', message: `Deployment "${name}" exceeded its progress deadline` }
        : { status: health, ...(message ? { message } : {}) };
    this.touch(app);
  }

  /**
   * Someone edits a live object by hand (`kubectl set image`): the live image differs from what the synced
   * revision renders, so the next refresh compares OutOfSync at that same revision (drift).
   */
  editLive(name: string, image: string): void {
    const key = this.key(this.findNamespace(name), name);
    const app = this.require(key);
    // The live objects change (what the next comparison reads); the app says so from its next reconcile on.
    this.live.set(key, [image]);
    app.status.summary.images = [image];
    this.touch(app);
  }

  /** The Application is deleted (`argocd app delete`): both APIs answer as for an app that never existed. */
  removeApp(name: string): void {
    this.apps.delete(this.key(this.findNamespace(name), name));
  }

  /** The same controls over HTTP, for the sandbox's buttons and out-of-process tests (not an Argo CD API). */
  private testControls(): void {
    this.http.route('POST', '/_fake/applications/:name/health', (req, p) => {
      const body = req.json<{ status?: string; message?: string } | null>() ?? {};
      const allowed = ['Healthy', 'Degraded', 'Missing', 'Progressing'] as const;
      const status = allowed.find((h) => h === body.status);
      if (!status) return { status: 400, body: { message: `status must be one of ${allowed.join(', ')}` } };
      try {
        this.setHealth(p.name!, status, body.message);
      } catch (err) {
        return { status: 404, body: { message: (err as Error).message } };
      }
      return { status: 200, body: this.app(p.name!).status.health };
    });
    this.http.route('POST', '/_fake/applications/:name/sync', (req, p) => {
      const body = req.json<{ revision?: string; username?: string } | null>() ?? {};
      try {
        const app = this.app(p.name!);
        const revision = body.revision ?? app.spec.source?.targetRevision ?? 'HEAD';
        this.startOperation(p.name!, revision, { username: body.username ?? 'someone' });
      } catch (err) {
        return { status: 404, body: { message: (err as Error).message } };
      }
      return { status: 202, body: { started: true } };
    });
  }

  /**
   * A controller that has not got to its auto-sync yet (a long queue, a lost refresh): while set, refreshes
   * still compare, but no automated operation starts. Upstream there is no such switch; it is a fault.
   */
  autoSyncStalled = false;

  /** Runs the controller's refresh of one app now (what a poll does); resolves when it has been compared. */
  async refreshNow(name: string, namespace = this.findNamespace(name)): Promise<void> {
    await this.refresh(this.key(namespace, name));
  }

  // ---- Argo Rollouts (fakes/argo-rollouts.ts): resource tree, resource, actions; Rollout health ----

  /** The Rollout controller of the cluster: the apps' Rollouts get each synced image, their health is the app's. */
  rollouts?: FakeArgoRollouts;

  attachRollouts(rollouts: FakeArgoRollouts): void {
    this.rollouts = rollouts;
    rollouts.onChange = (application) => {
      const key = this.key(this.findNamespace(application), application);
      const app = this.apps.get(key);
      const health = this.rolloutHealth(application);
      // While the sync that changed it settles, the app stays Progressing (as after any sync); before the
      // controller has looked at that sync at all, the app still says what the reconcile before it said.
      if (!app || !health || this.unobserved.has(key)) return;
      if (app.status.health.status === 'Progressing' && this.settling.has(key)) return;
      app.status.health = health;
      // A change of a managed resource makes the controller reconcile the app.
      app.status.reconciledAt = now();
      this.touch(app);
    };
  }

  /** The app's health from its Rollouts (the worst wins, as in Argo CD's health aggregation), if it has any. */
  private rolloutHealth(application: string): { status: string; message?: string } | undefined {
    const order = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];
    const healths = (this.rollouts?.ofApplication(application) ?? []).map((r) => this.rollouts!.health(r));
    return healths.sort((a, b) => order.indexOf(b.status) - order.indexOf(a.status))[0];
  }

  private readonly settling = new Set<string>();

  private routeRollouts(): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the host reads the field as it is when called
    const self = this;
    const host: rolloutRoutes.RolloutRoutesHost = {
      get rollouts() {
        return self.rollouts;
      },
      denied: this.denied,
      restAuth: (req) => this.restAuth(req),
      kubeAuth: (req) => this.kubeAuth(req),
      restApp: (req, name) => {
        const key = this.restKey(req, name);
        if (typeof key !== 'string') return key;
        const app = this.apps.get(key);
        if (!app) return this.restMissing(req, name);
        return { name, project: app.spec.project, namespace: app.metadata.namespace };
      },
      rbacName: (app) =>
        app.namespace === this.namespace ? `${app.project}/${app.name}` : `${app.project}/${app.namespace}/${app.name}`,
    };
    const ROLLOUT_PATH = '/apis/argoproj.io/v1alpha1/namespaces/:ns/rollouts/:name';
    this.http
      .route('GET', '/api/v1/applications/:name/resource-tree', (req, p) =>
        rolloutRoutes.resourceTree(host, req, p.name!),
      )
      .route('GET', '/api/v1/applications/:name/resource', (req, p) => rolloutRoutes.getResource(host, req, p.name!))
      .route('POST', '/api/v1/applications/:name/resource/actions', (req, p) =>
        rolloutRoutes.runResourceAction(host, req, p.name!),
      )
      .route('POST', '/api/v1/applications/:name/resource/actions/v2', (req, p) =>
        rolloutRoutes.runResourceActionV2(host, req, p.name!, this.resourceActionsV2),
      )
      .route('GET', ROLLOUT_PATH, (req, p) => rolloutRoutes.kubeGetRollout(host, req, p.ns!, p.name!))
      .route('PATCH', `${ROLLOUT_PATH}/status`, (req, p) =>
        rolloutRoutes.kubePatchRolloutStatus(host, req, p.ns!, p.name!),
      );
  }

  // ---- REST API ----

  /** RBAC decisions that say no, as `resource/action/object` (e.g. `applications/sync/default/hello-production`). */
  readonly denied = new Set<string>();

  /** server/account/account.go CanI: `{value: "yes"|"no"}` for the caller's RBAC on `<project>/<app>`. */
  private canI(req: FakeRequest, resource: string, action: string, subresource: string): FakeResponse {
    const denied = this.restAuth(req);
    if (denied) return denied;
    const allowed = !this.denied.has(`${resource}/${action}/${decodeURIComponent(subresource)}`);
    return { status: 200, body: { value: allowed ? 'yes' : 'no' } };
  }

  private restAuth(req: FakeRequest): FakeResponse | undefined {
    const header = req.headers.authorization;
    if (!header) return grpcError(401, 16, 'no session information');
    if (header !== `Bearer ${this.token}`) return grpcError(401, 16, 'invalid session: token signature is invalid');
    return undefined;
  }

  /** Server.Get/Sync: the app's namespace is `appNamespace`, else Argo CD's own; others must be allowed. */
  private restKey(req: FakeRequest, name: string, bodyNamespace?: string): string | FakeResponse {
    const ns = bodyNamespace || req.query.get('appNamespace') || this.namespace;
    if (ns !== this.namespace && !this.appNamespaces.includes(ns)) {
      return grpcError(
        403,
        7,
        `app is not allowed in project "${req.query.get('project') ?? 'default'}", or the project does not exist`,
      );
    }
    return this.key(ns, name);
  }

  /** Argo CD answers 403 for a missing app (hiding existence) unless a project was named. */
  private restMissing(req: FakeRequest, name: string, project?: string): FakeResponse {
    if (project ?? req.query.get('project')) return grpcError(404, 5, `applications.argoproj.io "${name}" not found`);
    return grpcError(403, 7, 'permission denied');
  }

  private async restGet(req: FakeRequest, name: string): Promise<FakeResponse> {
    const denied = this.restAuth(req);
    if (denied) return denied;
    const key = this.restKey(req, name);
    if (typeof key !== 'string') return key;
    const app = this.apps.get(key);
    if (!app) return this.restMissing(req, name);
    const refresh = req.query.get('refresh');
    // Server.Get with refresh: annotate, then block until the controller has refreshed the app.
    if (refresh === 'normal' || refresh === 'hard') {
      this.refreshes.push({ application: name, kind: refresh, via: 'rest' });
      await new Promise((resolve) => setTimeout(resolve, this.pickupMs));
      await this.refresh(key);
    }
    return { status: 200, body: this.apps.get(key) };
  }

  private async restSync(req: FakeRequest, name: string): Promise<FakeResponse> {
    const denied = this.restAuth(req);
    if (denied) return denied;
    const body =
      req.json<{
        revision?: string;
        revisions?: string[];
        sourcePositions?: number[];
        prune?: boolean;
        strategy?: unknown;
        appNamespace?: string;
        project?: string;
      } | null>() ?? {};
    const key = this.restKey(req, name, body.appNamespace);
    if (typeof key !== 'string') return key;
    const record = (response: FakeResponse): FakeResponse => {
      this.syncRequests.push({
        application: name,
        namespace: key.split('/')[0]!,
        via: 'rest',
        body: body,
        outcome: response.status,
      });
      return response;
    };
    const app = this.apps.get(key);
    if (!app) return record(this.restMissing(req, name, body.project));
    // Server.Sync: sync windows first (CanSync(true): a sync through the API is manual).
    if (!canSync(this.windowsFor(app), new Date(), true)) {
      return record(grpcError(403, 7, 'Cannot sync: Blocked by sync window'));
    }
    const sources = this.sourcesOf(app);
    const infraIndex = this.infraIndex(app);
    const automated = this.automated(app);
    // Server.Sync / getSyncedRevision: under auto-sync, no revision other than targetRevision (as written).
    let wanted: string | undefined;
    if (app.spec.sources) {
      const positions = body.sourcePositions ?? [];
      for (const [i, position] of positions.entries()) {
        const source = sources[position - 1];
        const revision = body.revisions?.[i];
        if (!source || revision === undefined) return record(grpcError(400, 3, 'source position is out of range'));
        if (automated && revision !== '' && revision !== (source.targetRevision || 'HEAD')) {
          return record(
            grpcError(
              400,
              9,
              `Cannot sync source ${source.repoURL} to ${revision}: auto-sync currently set to ${source.targetRevision ?? ''}`,
            ),
          );
        }
        if (position - 1 === infraIndex) wanted = revision;
      }
    } else if (body.revision) {
      const target = sources[0]!.targetRevision ?? '';
      if (automated && body.revision !== (target || 'HEAD')) {
        return record(grpcError(400, 9, `Cannot sync to ${body.revision}: auto-sync currently set to ${target}`));
      }
      wanted = body.revision;
    }
    // SetAppOperation: refuse while an operation is set.
    if (app.operation) return record(grpcError(400, 9, 'another operation is already in progress'));
    // resolveRevision: a branch or HEAD becomes the commit it points at; an unknown revision stays as given
    // (the operation then ends in a ComparisonError).
    const source = sources[infraIndex]!;
    const requested = wanted || source.targetRevision || 'HEAD';
    const resolved = (await this.resolveRevision(requested)) ?? requested;
    const current = this.apps.get(key);
    if (!current) return record(this.restMissing(req, name));
    if (current.operation) return record(grpcError(400, 9, 'another operation is already in progress'));
    current.operation = {
      sync: {
        ...(app.spec.sources
          ? { revisions: sources.map((s, i) => (i === infraIndex ? resolved : (s.targetRevision ?? 'HEAD'))) }
          : { revision: resolved }),
        prune: body.prune ?? false,
        syncStrategy: body.strategy ?? { hook: {} },
      },
      initiatedBy: { username: 'admin' },
    };
    // Like argo.SetAppOperation: set the operation and clear the previous operationState.
    delete current.status.operationState;
    this.touch(current);
    this.reconcile(key);
    return record({ status: 200, body: current });
  }

  /** GetApplicationSyncWindows: the windows assigned to the app, the active ones, and CanSync(manual). */
  private restSyncWindows(req: FakeRequest, name: string): FakeResponse {
    const denied = this.restAuth(req);
    if (denied) return denied;
    const key = this.restKey(req, name);
    if (typeof key !== 'string') return key;
    const app = this.apps.get(key);
    if (!app) return this.restMissing(req, name);
    const assigned = this.windowsFor(app);
    const at = new Date();
    return {
      status: 200,
      body: {
        assignedWindows: assigned,
        activeWindows: assigned.filter((w) => windowActive(w, at)),
        canSync: canSync(assigned, at, true),
      },
    };
  }

  // ---- Kubernetes API ----

  /** A bad token is 401; no credentials at all is an anonymous user without RBAC, so 403. */
  private kubeAuth(req: FakeRequest): FakeResponse | undefined {
    const header = req.headers.authorization;
    if (!header) {
      const message = `applications.argoproj.io is forbidden: User "system:anonymous" cannot access resource "applications" in API group "argoproj.io"`;
      return kubeStatus(403, 'Forbidden', message);
    }
    if (header !== `Bearer ${this.token}`) return kubeStatus(401, 'Unauthorized', 'Unauthorized');
    return undefined;
  }

  /**
   * SelfSubjectAccessReview (k8s.io/api/authorization/v1): the spec echoed back with `status.allowed`. Denied are
   * the `denied` entries written `kubernetes/<verb>/<namespace>/<resource>` (e.g. `kubernetes/patch/argocd/applications`).
   */
  private kubeAccessReview(req: FakeRequest): FakeResponse {
    const header = req.headers.authorization;
    if (header !== `Bearer ${this.token}`) return kubeStatus(401, 'Unauthorized', 'Unauthorized');
    const body = req.json<{ spec?: { resourceAttributes?: Record<string, string> } } | null>();
    const attrs = body?.spec?.resourceAttributes ?? {};
    const allowed = !this.denied.has(`kubernetes/${attrs.verb}/${attrs.namespace}/${attrs.resource}`);
    return {
      status: 201,
      body: {
        kind: 'SelfSubjectAccessReview',
        apiVersion: 'authorization.k8s.io/v1',
        metadata: { creationTimestamp: null },
        spec: body?.spec ?? {},
        status: allowed ? { allowed: true, reason: 'RBAC: allowed' } : { allowed: false },
      },
    };
  }

  private kubeFind(ns: string, name: string): FakeApplication | FakeResponse {
    const app = this.apps.get(this.key(ns, name));
    return app ?? kubeStatus(404, 'NotFound', `applications.argoproj.io "${name}" not found`, name);
  }

  private kubeGet(req: FakeRequest, ns: string, name: string): FakeResponse {
    const found = this.kubeAuth(req) ?? this.kubeFind(ns, name);
    return 'kind' in found ? { status: 200, body: found } : found;
  }

  private kubeGetProject(req: FakeRequest, ns: string, name: string): FakeResponse {
    const denied = this.kubeAuth(req);
    if (denied) return denied;
    const windows = this.projects.get(name) ?? (name === 'default' ? [] : undefined);
    if (ns !== this.namespace || !windows) {
      const details = { name, group: 'argoproj.io', kind: 'appprojects' };
      const message = `appprojects.argoproj.io "${name}" not found`;
      return {
        status: 404,
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message,
          reason: 'NotFound',
          details,
          code: 404,
        },
      };
    }
    return {
      status: 200,
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name, namespace: ns },
        spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], syncWindows: windows },
      },
    };
  }

  private kubePatch(req: FakeRequest, ns: string, name: string): FakeResponse {
    const found = this.kubeAuth(req) ?? this.kubeFind(ns, name);
    if (!('kind' in found)) return found;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      return kubeStatus(400, 'BadRequest', 'error decoding patch: invalid JSON');
    }
    let patched: unknown;
    if (type === 'application/merge-patch+json') {
      if (!isObject(body)) return kubeStatus(400, 'BadRequest', 'error decoding patch: not a JSON object');
      const wanted = (body.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
      if (wanted !== undefined && wanted !== found.metadata.resourceVersion) {
        const message = `Operation cannot be fulfilled on applications.argoproj.io "${name}": the object has been modified; please apply your changes to the latest version and try again`;
        return kubeStatus(409, 'Conflict', message, name);
      }
      patched = mergePatch(clone(found), body);
    } else if (type === 'application/json-patch+json') {
      if (!Array.isArray(body)) {
        return kubeStatus(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      }
      try {
        patched = jsonPatch(found, body);
      } catch (err) {
        return kubeStatus(422, 'Invalid', `the server rejected our request: ${(err as Error).message}`, name);
      }
    } else {
      const message = `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`;
      return kubeStatus(415, 'UnsupportedMediaType', message);
    }
    const key = this.key(ns, name);
    const app = patched as FakeApplication;
    app.metadata = { ...app.metadata, name, namespace: ns, uid: found.metadata.uid };
    this.apps.set(key, app);
    if (app.operation && !found.operation) {
      this.syncRequests.push({
        application: name,
        namespace: ns,
        via: 'kubernetes',
        body: app.operation as Json,
        outcome: 200,
      });
    }
    const refresh = app.metadata.annotations?.[REFRESH];
    if (refresh && refresh !== found.metadata.annotations?.[REFRESH]) {
      this.refreshes.push({ application: name, kind: refresh, via: 'kubernetes' });
    }
    this.touch(app);
    this.reconcile(key);
    return { status: 200, body: app };
  }

  // ---- the controller ----

  private key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  private findNamespace(name: string): string {
    for (const app of this.apps.values()) if (app.metadata.name === name) return app.metadata.namespace;
    return this.namespace;
  }

  private require(key: string): FakeApplication {
    const app = this.apps.get(key);
    if (!app) throw new Error(`fake argocd: no application ${key}`);
    return app;
  }

  private sourcesOf(app: FakeApplication): FakeSource[] {
    return app.spec.sources ?? [app.spec.source!];
  }

  /** The source that points at the infra repository (the only one of a single-source app). */
  private infraIndex(app: FakeApplication): number {
    const sources = this.sourcesOf(app);
    const index = sources.findIndex((s) => s.repoURL === this.repoURL);
    return index === -1 ? 0 : index;
  }

  /** Spec.SyncPolicy.IsAutomatedSyncEnabled. */
  private automated(app: FakeApplication): boolean {
    const automated = app.spec.syncPolicy?.automated;
    return automated != null && automated.enabled !== false;
  }

  private windowsFor(app: FakeApplication): FakeSyncWindow[] {
    return windowsMatching(this.projects.get(app.spec.project) ?? [], {
      name: app.metadata.name,
      namespace: app.spec.destination.namespace,
      server: app.spec.destination.server,
      cluster: app.spec.destination.name,
    });
  }

  private nextVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  private touch(app: FakeApplication): void {
    app.metadata.resourceVersion = this.nextVersion();
  }

  private later(ms: number, step: () => void | Promise<void>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) void Promise.resolve(step()).catch(() => undefined);
    }, ms);
    this.timers.add(timer);
  }

  private inFlight(app: FakeApplication): boolean {
    const phase = app.status.operationState?.phase;
    return phase === 'Running' || phase === 'Terminating';
  }

  /** What the controller does on a change: honour a refresh annotation, start a requested operation. */
  private reconcile(key: string): void {
    const app = this.apps.get(key);
    if (!app) return;
    if (app.metadata.annotations?.[REFRESH]) {
      this.later(this.pickupMs, async () => {
        await this.refresh(key);
        const current = this.apps.get(key);
        if (!current?.metadata.annotations?.[REFRESH]) return;
        delete current.metadata.annotations[REFRESH];
        this.touch(current);
      });
    }
    if (app.operation && !this.inFlight(app) && !this.pendingStart.has(key)) {
      this.pendingStart.add(key);
      this.later(this.pickupMs, () => this.start(key));
    }
  }

  /**
   * The refresh (CompareAppState): targetRevision resolved to the branch head becomes status.sync.revision —
   * whatever was synced last — and the app is OutOfSync exactly when the head renders another image than the
   * one running. Then autoSync.
   */
  private refresh(key: string, options: { poll?: boolean } = {}): Promise<void> {
    // A refresh asked for while one runs is queued behind it (the controller's refresh queue): the running
    // one may have read the branch before the commit that prompted the new request. A periodic poll of an
    // app already being refreshed is dropped, as the controller's work queue deduplicates it.
    const inflight = this.refreshing.get(key);
    if (inflight && options.poll) return inflight;
    if (inflight) {
      let queued = this.queuedRefresh.get(key);
      if (!queued) {
        queued = inflight.then(() => {
          this.queuedRefresh.delete(key);
          return this.refresh(key);
        });
        this.queuedRefresh.set(key, queued);
      }
      return queued;
    }
    return this.compare(key);
  }

  private compare(key: string): Promise<void> {
    const run = (async () => {
      const app = this.apps.get(key);
      if (!app) return;
      const index = this.infraIndex(app);
      const source = this.sourcesOf(app)[index]!;
      const head = await this.resolveRevision(source.targetRevision || 'HEAD');
      const image = head ? await this.resolveImage(head, app.metadata.name) : undefined;
      const current = this.apps.get(key);
      if (!current || this.closed) return;
      this.observeSync(key, current);
      current.status.summary.images = [...(this.live.get(key) ?? [])];
      current.status.reconciledAt = now();
      this.touch(current);
      // A targetRevision the repo server cannot resolve leaves the comparison where it was.
      if (!head) return;
      const live = this.live.get(key)?.[0];
      const status = image === undefined || image === live ? 'Synced' : 'OutOfSync';
      if (current.spec.sources) {
        const revisions = this.sourcesOf(current).map((s, i) => (i === index ? head : (s.targetRevision ?? 'HEAD')));
        current.status.sync = { status, revisions };
      } else current.status.sync = { status, revision: head };
      this.touch(current);
      this.autoSync(key, head);
    })().finally(() => this.refreshing.delete(key));
    this.refreshing.set(key, run);
    return run;
  }

  /** appcontroller.go autoSync: only OutOfSync, never over an operation, never a revision that already failed. */
  private autoSync(key: string, head: string): void {
    const app = this.apps.get(key);
    if (!app || this.autoSyncStalled || !this.automated(app) || app.operation || this.inFlight(app)) return;
    if (app.status.sync.status !== 'OutOfSync') return;
    const last = app.status.operationState;
    const lastRevision = last && (this.revisionOfResult(app, last) ?? this.revisionOfOperation(app, last.operation));
    if (last && lastRevision === head && (last.phase === 'Failed' || last.phase === 'Error')) return;
    if (!canSync(this.windowsFor(app), new Date(), false)) return; // "Sync prevented by sync window"
    const index = this.infraIndex(app);
    app.operation = {
      sync: {
        ...(app.spec.sources
          ? { revisions: this.sourcesOf(app).map((s, i) => (i === index ? head : (s.targetRevision ?? 'HEAD'))) }
          : { revision: head }),
        prune: app.spec.syncPolicy?.automated?.prune ?? false,
      },
      initiatedBy: { automated: true },
      retry: { limit: 5 },
    };
    this.touch(app);
    this.reconcile(key);
  }

  private revisionOfOperation(app: FakeApplication, operation: FakeOperation): string | undefined {
    return app.spec.sources ? operation.sync?.revisions?.[this.infraIndex(app)] : operation.sync?.revision;
  }

  private revisionOfResult(app: FakeApplication, state: FakeOperationState): string | undefined {
    if (!state.syncResult) return undefined;
    return app.spec.sources ? state.syncResult.revisions?.[this.infraIndex(app)] : state.syncResult.revision;
  }

  private start(key: string): void {
    this.pendingStart.delete(key);
    const app = this.apps.get(key);
    if (!app?.operation || this.inFlight(app)) return;
    app.status.operationState = {
      phase: 'Running',
      message: 'waiting for completion of hook and sync',
      operation: clone(app.operation),
      startedAt: now(),
    };
    this.touch(app);
    const seq = ++this.operationSeq;
    this.running.set(key, seq);
    this.operationsStarted.push({
      application: app.metadata.name,
      revision: this.revisionOfOperation(app, app.operation) ?? '',
      automated: app.operation.initiatedBy?.automated === true,
    });
    const runningMs = this.runningOverride.get(key) ?? this.operationMs;
    this.runningOverride.delete(key);
    this.later(runningMs, () => this.finish(key, seq));
  }

  private async finish(key: string, seq: number): Promise<void> {
    const started = this.apps.get(key);
    const startedState = started?.status.operationState;
    if (!started || !startedState?.operation) return;
    // SyncAppState: a window that blocks keeps the operation Running (manual unless initiatedBy.automated).
    const manual = startedState.operation.initiatedBy?.automated !== true;
    if (!canSync(this.windowsFor(started), new Date(), manual)) {
      startedState.message = 'Sync operation blocked by sync window';
      this.touch(started);
      this.later(Math.max(this.operationMs, 50), () => this.finish(key, seq));
      return;
    }
    // The repo server resolves what the operation names (a branch, HEAD, a sha) to a commit.
    const requested =
      this.revisionOfOperation(started, startedState.operation) ||
      this.sourcesOf(started)[this.infraIndex(started)]!.targetRevision ||
      'HEAD';
    let revision = requested;
    let failure = this.failing.get(requested);
    let image: string | undefined;
    let manifestError: string | undefined;
    if (failure === undefined) {
      try {
        const commit = await this.resolveRevision(requested);
        if (!commit) {
          throw new Error(`Failed to checkout revision ${requested}: unable to resolve '${requested}' to a commit SHA`);
        }
        revision = commit;
        failure = this.failing.get(commit);
        if (failure === undefined) image = await this.resolveImage(commit, started.metadata.name);
      } catch (err) {
        manifestError = `ComparisonError: Failed to load target state: ${(err as Error).message}`;
      }
    }
    // Re-read: a PATCH may have replaced the stored object while the image was being resolved.
    const app = this.apps.get(key);
    const state = app?.status.operationState;
    if (this.closed || !app || !state || this.running.get(key) !== seq || state.phase !== 'Running') return;
    this.running.delete(key);
    const complete = (phase: FakeOperationState['phase'], message: string): void => {
      state.phase = phase;
      state.message = message;
      state.finishedAt = now();
      // Like setOperationState: a completed operation clears `operation`, even one patched in meanwhile.
      delete app.operation;
      this.touch(app);
    };
    // The controller asks for a refresh once an operation completes (processRequestedAppOperation →
    // requestAppRefresh); until that reconcile, sync and health stay what the one before the operation said.
    const reconcileAfter = (): void => this.later(this.reconcileAfterMs, () => this.refresh(key));
    if (failure !== undefined) {
      complete('Failed', failure);
      return reconcileAfter();
    }
    if (manifestError !== undefined) {
      complete('Error', manifestError);
      return reconcileAfter();
    }
    const index = this.infraIndex(app);
    state.syncResult = app.spec.sources
      ? {
          revision: '',
          revisions: this.sourcesOf(app).map((s, i) => (i === index ? revision : (s.targetRevision ?? 'HEAD'))),
          resources: [],
        }
      : { revision, resources: [] };
    state.syncResult.resources = [
      {
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
        namespace: app.spec.destination.namespace,
        name: app.metadata.name,
        status: 'Synced',
      },
    ];
    this.live.set(key, image ? [image] : []);
    // A newer rollout: the previous one's settling (a timer already running) no longer says anything.
    const epoch = (this.epochs.get(key) ?? 0) + 1;
    this.epochs.set(key, epoch);
    this.unobserved.set(key, { revision, revisions: state.syncResult.revisions, image, epoch });
    // persistRevisionHistory: the next id is the last entry's + 1 (0 for the first), then Trunc(revisionHistoryLimit).
    const history = app.status.history as { id: number }[];
    app.status.history.push({
      id: history.length ? history[history.length - 1]!.id + 1 : 0,
      revision,
      deployStartedAt: state.startedAt,
      deployedAt: now(),
      initiatedBy: state.operation.initiatedBy,
    });
    const limit = typeof app.spec.revisionHistoryLimit === 'number' ? Math.max(0, app.spec.revisionHistoryLimit) : 10;
    app.status.history.splice(0, Math.max(0, app.status.history.length - limit));
    complete('Succeeded', 'successfully synced (all tasks run)');
    // The sync applied the new pod template: the Rollout controller starts its steps now; the app reports them
    // from the reconcile after this one.
    if (this.rollouts) this.settling.add(key);
    this.rollouts?.applied(app.metadata.name, image);
    reconcileAfter();
  }

  /**
   * The first reconcile after a successful sync: compared at the synced revision (the refresh then moves it to
   * the branch head), and the new rollout is Progressing until it settles.
   */
  private observeSync(key: string, app: FakeApplication): void {
    const synced = this.unobserved.get(key);
    if (!synced) return;
    this.unobserved.delete(key);
    app.status.sync = synced.revisions
      ? { status: 'Synced', revisions: synced.revisions }
      : { status: 'Synced', revision: synced.revision };
    app.status.health = { status: 'Progressing', message: 'Waiting for rollout to finish' };
    this.later(this.healthyAfterMs, () => this.settle(key, synced.epoch, synced.revision, synced.image));
  }

  private settle(key: string, epoch: number, revision: string, image: string | undefined): void {
    const app = this.apps.get(key);
    if (!app || this.epochs.get(key) !== epoch) return;
    const name = app.metadata.name;
    this.settling.delete(key);
    const rolloutHealth = this.rolloutHealth(name);
    if (this.missing.has(revision)) app.status.health = { status: 'Missing' };
    else if (rolloutHealth) app.status.health = rolloutHealth;
    else if (image && this.isBadImage(image)) {
      app.status.health = { status: 'Degraded', message: `Deployment "${name}" exceeded its progress deadline` };
    } else if (image && this.isSuspendedImage(image)) {
      app.status.health = { status: 'Suspended', message: 'Rollout is paused' };
    } else app.status.health = { status: 'Healthy' };
    // The rollout's end is a resource change: the controller reconciles the app on it.
    app.status.reconciledAt = now();
    this.touch(app);
  }
}
