// A fake Argo CD: its REST API (grpc-gateway shapes) and the Kubernetes API route for Application resources,
// both over one store, plus a tiny application controller that runs requested operations
// (Running → Succeeded/Failed) and then settles health (Progressing → Healthy/Degraded/Missing) from the image
// a revision deploys. Built on HttpFake, so every request is journaled and faults can be injected.
import { HttpFake, type FakeRequest, type FakeResponse } from './http-fake.js';

type Json = Record<string, unknown>;

export interface FakeOperation {
  sync?: { revision?: string; prune?: boolean; syncStrategy?: unknown };
  initiatedBy?: { username?: string; automated?: boolean };
}

export interface FakeOperationState {
  phase: 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded';
  message?: string;
  operation: FakeOperation;
  startedAt: string;
  finishedAt?: string;
  syncResult?: { revision: string; resources: Json[] };
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
  spec: Json;
  operation?: FakeOperation;
  status: {
    sync: { status: 'Synced' | 'OutOfSync' | 'Unknown'; revision?: string };
    health: { status: string; message?: string };
    operationState?: FakeOperationState;
    history: Json[];
    summary: { images: string[] };
    reconciledAt?: string;
  };
}

export interface FakeArgoCdOptions {
  /** Bearer token both APIs accept. */
  token?: string;
  /** Namespace of the Application resources on the Kubernetes route. */
  namespace?: string;
  /** Delay before the controller picks up a requested operation or refresh. */
  pickupMs?: number;
  /** How long an operation stays Running. */
  operationMs?: number;
  /** How long health stays Progressing after a successful sync. */
  healthyAfterMs?: number;
  /** The image a revision deploys (e.g. read from the infra repo at that commit); default: `images`. */
  resolveImage?: (revision: string) => string | undefined | Promise<string | undefined>;
  /** Images that never become ready: the app turns Degraded. */
  isBadImage?: (image: string) => boolean;
}

const REFRESH = 'argocd.argoproj.io/refresh';
const KUBE_PATH = '/apis/argoproj.io/v1alpha1/namespaces/:ns/applications/:name';

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
  /** Default image source: revision → image. */
  readonly images = new Map<string, string>();
  resolveImage: (revision: string) => string | undefined | Promise<string | undefined>;
  isBadImage: (image: string) => boolean;
  pickupMs: number;
  operationMs: number;
  healthyAfterMs: number;
  /** Every refresh asked for, by either API. */
  readonly refreshes: { application: string; kind: string; via: 'rest' | 'kubernetes' }[] = [];

  private readonly apps = new Map<string, FakeApplication>();
  private readonly failing = new Map<string, string>();
  private readonly missing = new Set<string>();
  private readonly runningOverride = new Map<string, number>();
  private readonly pendingStart = new Set<string>();
  private readonly epochs = new Map<string, number>();
  private readonly running = new Map<string, number>();
  private operationSeq = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private resourceVersion = 1000;
  private historyId = 0;
  private closed = false;

  constructor(options: FakeArgoCdOptions = {}) {
    this.token = options.token ?? 'argocd-test-token';
    this.namespace = options.namespace ?? 'argocd';
    this.pickupMs = options.pickupMs ?? 5;
    this.operationMs = options.operationMs ?? 20;
    this.healthyAfterMs = options.healthyAfterMs ?? 30;
    this.resolveImage = options.resolveImage ?? ((revision) => this.images.get(revision));
    this.isBadImage = options.isBadImage ?? (() => false);
    this.http
      .route('GET', '/api/v1/applications/:name', (req, p) => this.restGet(req, p.name!))
      .route('POST', '/api/v1/applications/:name/sync', (req, p) => this.restSync(req, p.name!))
      .route('GET', '/api/v1/account/can-i/:resource/:action/:subresource*', (req, p) =>
        this.canI(req, p.resource!, p.action!, p.subresource!),
      )
      .route('GET', KUBE_PATH, (req, p) => this.kubeGet(req, p.ns!, p.name!))
      .route('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', (req) => this.kubeAccessReview(req))
      .route('PATCH', KUBE_PATH, (req, p) => this.kubePatch(req, p.ns!, p.name!));
  }

  async listen(): Promise<string> {
    return this.http.listen();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.http.close();
  }

  get url(): string {
    return this.http.url;
  }

  /** Creates an application that is Synced and Healthy on `revision`, after a completed sync to it. */
  addApp(name: string, init: { revision?: string; image?: string } = {}): FakeApplication {
    const revision = init.revision ?? 'initial0000000000000000000000000000000000';
    const operation: FakeOperation = { sync: { revision }, initiatedBy: { username: 'admin' } };
    const app: FakeApplication = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name,
        namespace: this.namespace,
        uid: `00000000-0000-4000-8000-${String(this.apps.size + 1).padStart(12, '0')}`,
        resourceVersion: this.nextVersion(),
        generation: 1,
        creationTimestamp: now(),
      },
      spec: {
        project: 'default',
        source: { repoURL: 'https://git.example.com/infra.git', path: `apps/${name}`, targetRevision: 'main' },
        destination: { server: 'https://kubernetes.default.svc', namespace: name },
      },
      status: {
        sync: { status: 'Synced', revision },
        health: { status: 'Healthy' },
        operationState: {
          phase: 'Succeeded',
          message: 'successfully synced (all tasks run)',
          operation,
          startedAt: now(),
          finishedAt: now(),
          syncResult: { revision, resources: [] },
        },
        history: [],
        summary: { images: init.image ? [init.image] : [] },
        reconciledAt: now(),
      },
    };
    if (init.image) this.images.set(revision, init.image);
    this.apps.set(name, app);
    return clone(app);
  }

  /** A snapshot of the application as stored. */
  app(name: string): FakeApplication {
    const app = this.apps.get(name);
    if (!app) throw new Error(`fake argocd: no application ${name}`);
    return clone(app);
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
    const app = this.require(name);
    app.operation = {
      sync: { revision, syncStrategy: { hook: {} } },
      initiatedBy: { username: opts.username ?? 'someone' },
    };
    if (opts.runningMs !== undefined) this.runningOverride.set(name, opts.runningMs);
    this.touch(app);
    this.reconcile(name);
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

  /** Argo CD answers 403 for a missing app (hiding existence) unless a project was named. */
  private restMissing(req: FakeRequest, name: string): FakeResponse {
    if (req.query.get('project')) return grpcError(404, 5, `applications.argoproj.io "${name}" not found`);
    return grpcError(403, 7, 'permission denied');
  }

  private restGet(req: FakeRequest, name: string): FakeResponse {
    const denied = this.restAuth(req);
    if (denied) return denied;
    const app = this.apps.get(name);
    if (!app) return this.restMissing(req, name);
    const refresh = req.query.get('refresh');
    // The real server blocks until the controller has refreshed; here the refresh is instantaneous.
    if (refresh === 'normal' || refresh === 'hard') {
      this.refreshes.push({ application: name, kind: refresh, via: 'rest' });
      app.status.reconciledAt = now();
      this.touch(app);
    }
    return { status: 200, body: app };
  }

  private restSync(req: FakeRequest, name: string): FakeResponse {
    const denied = this.restAuth(req);
    if (denied) return denied;
    const app = this.apps.get(name);
    if (!app) return this.restMissing(req, name);
    if (app.operation) return grpcError(400, 9, 'another operation is already in progress');
    const body = req.json<{ revision?: string; prune?: boolean; strategy?: unknown } | null>() ?? {};
    // Like argo.SetAppOperation: set the operation and clear the previous operationState.
    app.operation = {
      sync: { revision: body.revision, prune: body.prune ?? false, syncStrategy: body.strategy ?? { hook: {} } },
      initiatedBy: { username: 'admin' },
    };
    delete app.status.operationState;
    this.touch(app);
    this.reconcile(name);
    return { status: 200, body: app };
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
    const app = ns === this.namespace ? this.apps.get(name) : undefined;
    return app ?? kubeStatus(404, 'NotFound', `applications.argoproj.io "${name}" not found`, name);
  }

  private kubeGet(req: FakeRequest, ns: string, name: string): FakeResponse {
    const found = this.kubeAuth(req) ?? this.kubeFind(ns, name);
    return 'kind' in found ? { status: 200, body: found } : found;
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
    const app = patched as FakeApplication;
    app.metadata = { ...app.metadata, name, namespace: ns, uid: found.metadata.uid };
    this.apps.set(name, app);
    const refresh = app.metadata.annotations?.[REFRESH];
    if (refresh && refresh !== found.metadata.annotations?.[REFRESH]) {
      this.refreshes.push({ application: name, kind: refresh, via: 'kubernetes' });
    }
    this.touch(app);
    this.reconcile(name);
    return { status: 200, body: app };
  }

  // ---- the controller ----

  private require(name: string): FakeApplication {
    const app = this.apps.get(name);
    if (!app) throw new Error(`fake argocd: no application ${name}`);
    return app;
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
  private reconcile(name: string): void {
    const app = this.apps.get(name);
    if (!app) return;
    if (app.metadata.annotations?.[REFRESH]) {
      this.later(this.pickupMs, () => {
        const current = this.apps.get(name);
        if (!current?.metadata.annotations?.[REFRESH]) return;
        delete current.metadata.annotations[REFRESH];
        current.status.reconciledAt = now();
        this.touch(current);
      });
    }
    if (app.operation && !this.inFlight(app) && !this.pendingStart.has(name)) {
      this.pendingStart.add(name);
      this.later(this.pickupMs, () => this.start(name));
    }
  }

  private start(name: string): void {
    this.pendingStart.delete(name);
    const app = this.apps.get(name);
    if (!app?.operation || this.inFlight(app)) return;
    app.status.operationState = {
      phase: 'Running',
      message: 'waiting for completion of hook and sync',
      operation: clone(app.operation),
      startedAt: now(),
    };
    this.touch(app);
    const seq = ++this.operationSeq;
    this.running.set(name, seq);
    const runningMs = this.runningOverride.get(name) ?? this.operationMs;
    this.runningOverride.delete(name);
    this.later(runningMs, () => this.finish(name, seq));
  }

  private async finish(name: string, seq: number): Promise<void> {
    const started = this.apps.get(name)?.status.operationState;
    if (!started?.operation) return;
    const revision = started.operation.sync?.revision ?? this.apps.get(name)?.status.sync.revision ?? 'HEAD';
    const failure = this.failing.get(revision);
    let image: string | undefined;
    let manifestError: string | undefined;
    if (failure === undefined) {
      try {
        image = await this.resolveImage(revision);
      } catch (err) {
        manifestError = `rpc error: Manifest generation error: ${(err as Error).message}`;
      }
    }
    // Re-read: a PATCH may have replaced the stored object while the image was being resolved.
    const app = this.apps.get(name);
    const state = app?.status.operationState;
    if (this.closed || !app || !state || this.running.get(name) !== seq || state.phase !== 'Running') return;
    this.running.delete(name);
    const complete = (phase: FakeOperationState['phase'], message: string): void => {
      state.phase = phase;
      state.message = message;
      state.finishedAt = now();
      // Like setOperationState: a completed operation clears `operation`, even one patched in meanwhile.
      delete app.operation;
      this.touch(app);
    };
    if (failure !== undefined) {
      app.status.sync.status = 'OutOfSync';
      return complete('Failed', failure);
    }
    if (manifestError !== undefined) return complete('Error', manifestError);
    state.syncResult = {
      revision,
      resources: [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: name, name, status: 'Synced' }],
    };
    app.status.sync = { status: 'Synced', revision };
    app.status.health = { status: 'Progressing', message: 'Waiting for rollout to finish' };
    app.status.summary.images = image ? [image] : [];
    app.status.history.push({ id: ++this.historyId, revision, deployStartedAt: state.startedAt, deployedAt: now() });
    complete('Succeeded', 'successfully synced (all tasks run)');
    const epoch = (this.epochs.get(name) ?? 0) + 1;
    this.epochs.set(name, epoch);
    this.later(this.healthyAfterMs, () => this.settle(name, epoch, revision, image));
  }

  private settle(name: string, epoch: number, revision: string, image: string | undefined): void {
    const app = this.apps.get(name);
    if (!app || this.epochs.get(name) !== epoch) return;
    if (this.missing.has(revision)) app.status.health = { status: 'Missing' };
    else if (image && this.isBadImage(image)) {
      app.status.health = { status: 'Degraded', message: `Deployment "${name}" exceeded its progress deadline` };
    } else app.status.health = { status: 'Healthy' };
    this.touch(app);
  }
}
