// ArgoCdPort over Argo CD's REST API (grpc-gateway), authenticated with a Bearer token.
import { request as httpsRequest } from 'node:https';
import type { AppStatus, ArgoAppRef, ArgoCdPort, SyncOutcome, SyncRequest } from '../activities/ports.js';
import { appRef, PermanentArgoCdError, SYNC_WINDOW_BLOCKED, toAppStatus } from './argocd-status.js';
import { syncAllowedAt, type SyncWindowSpec } from './argocd-sync-windows.js';
import { redactSecrets } from '../platform/scrub.js';

export interface ArgoCdApiOptions {
  /** API server base URL, e.g. `https://argocd.example.com`. */
  url: string;
  token: string;
  /** Base of UI links; defaults to `url`. */
  uiUrl?: string;
  /** Per request. A `?refresh=` GET blocks until the controller has refreshed, so keep it generous. */
  timeoutMs?: number;
  /** Skip TLS certificate verification (self-signed in-cluster endpoints). */
  insecureTls?: boolean;
}

interface Reply {
  status: number;
  text: string;
}

type Transport = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<Reply>;

const ANOTHER_OPERATION = /another operation is already in progress/i;

function fetchTransport(timeoutMs: number): Transport {
  return async (url, init) => {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, text: await response.text() };
  };
}

// Global fetch cannot turn off certificate checks per client, node:https can.
function insecureTransport(timeoutMs: number): Transport {
  return (url, init) =>
    new Promise<Reply>((resolve, reject) => {
      const req = httpsRequest(
        url,
        { method: init.method, headers: init.headers, rejectUnauthorized: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(init.body);
    });
}

/** The grpc-gateway error body is `{error, code, message, details}`; fall back to the raw text. */
function serverMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof body.message === 'string' && body.message) return body.message;
    if (typeof body.error === 'string' && body.error) return body.error;
  } catch {
    // not JSON: a proxy's HTML page or plain text
  }
  return text.slice(0, 200);
}

function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

export function createArgoCdApiClient(options: ArgoCdApiOptions): ArgoCdPort {
  const base = options.url.replace(/\/+$/, '');
  const ui = (options.uiUrl ?? options.url).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const send = options.insecureTls ? insecureTransport(timeoutMs) : fetchTransport(timeoutMs);

  // Belt and braces: no message may carry the token, whatever a server or proxy echoes back.
  const redact = (text: string): string => redactSecrets(text, [options.token]);

  const appPath = (name: string): string => `/api/v1/applications/${encodeURIComponent(name)}`;
  /** `appNamespace` (apps in any namespace) and `project` (a missing app is then 404, not 403). */
  const scope = (ref: ArgoAppRef, extra: Record<string, string> = {}): string => {
    const query = new URLSearchParams(extra);
    if (ref.namespace) query.set('appNamespace', ref.namespace);
    if (ref.project) query.set('project', ref.project);
    const text = query.toString();
    return text ? `?${text}` : '';
  };

  async function exchange(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply> {
    // Argo CD answers 415 to a request without this header, even one without a body (B.2a).
    const headers: Record<string, string> = {
      Authorization: `Bearer ${options.token}`,
      Accept: 'application/json',
      'Content-Type': 'application/json',
    };
    try {
      return await send(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new Error(redact(`Argo CD ${method} ${path} failed: ${describeCause(err)}`));
    }
  }

  function failure(method: string, path: string, reply: Reply): Error {
    let message = `Argo CD ${method} ${path}: HTTP ${reply.status} ${serverMessage(reply.text)}`;
    // Argo CD hides whether an application exists: a missing one is 403 "permission denied".
    if (reply.status === 403) message += ' (the application may not exist, or the token lacks RBAC for it)';
    // 400 is InvalidArgument/FailedPrecondition (e.g. "auto-sync currently set to …"): repeating cannot help.
    const permanent = [400, 401, 403, 404].includes(reply.status);
    return permanent ? new PermanentArgoCdError(redact(message)) : new Error(redact(message));
  }

  function parse(method: string, path: string, reply: Reply): unknown {
    try {
      return JSON.parse(reply.text) as unknown;
    } catch {
      throw new Error(`Argo CD ${method} ${path}: HTTP ${reply.status} with a body that is not JSON`);
    }
  }

  async function getApp(ref: ArgoAppRef, refresh?: 'normal' | 'hard'): Promise<unknown> {
    const path = appPath(ref.name) + scope(ref, refresh ? { refresh } : {});
    const reply = await exchange('GET', path);
    if (reply.status !== 200) throw failure('GET', path, reply);
    return parse('GET', path, reply);
  }

  /** `GET …/syncwindows` (ApplicationSyncWindowsResponse): the windows assigned to the app. */
  async function syncWindowEnd(target: Parameters<ArgoCdPort['appUrl']>[0]): Promise<string | undefined> {
    const ref = appRef(target);
    const path = `${appPath(ref.name)}/syncwindows${scope(ref)}`;
    const reply = await exchange('GET', path);
    if (reply.status !== 200) return undefined;
    const body = parse('GET', path, reply) as { assignedWindows?: SyncWindowSpec[] } | null;
    const at = syncAllowedAt(body?.assignedWindows ?? [], new Date(), true);
    return at?.toISOString();
  }

  return {
    async sync(target, request?: string | SyncRequest): Promise<SyncOutcome> {
      const ref = appRef(target);
      const wanted: SyncRequest = typeof request === 'string' ? { revision: request } : (request ?? {});
      const path = `${appPath(ref.name)}/sync`;
      const body: Record<string, unknown> = { name: ref.name, prune: false, strategy: { hook: {} } };
      if (ref.namespace) body.appNamespace = ref.namespace;
      if (ref.project) body.project = ref.project;
      if (wanted.revision !== undefined) {
        // Multi-source: name the revision of the infra repo's source only (ApplicationSyncRequest.sourcePositions).
        if (wanted.sourceIndex !== undefined) {
          body.revisions = [wanted.revision];
          body.sourcePositions = [wanted.sourceIndex + 1];
        } else body.revision = wanted.revision;
      }
      const reply = await exchange('POST', path, body);
      if (reply.status >= 200 && reply.status < 300) {
        const app = parse('POST', path, reply) as { operation?: { sync?: { revision?: string } } } | null;
        return { state: 'started', revision: app?.operation?.sync?.revision };
      }
      const message = serverMessage(reply.text);
      // SetAppOperation: FailedPrecondition (400, code 9). Someone else's operation: watch it, never fail.
      if (reply.status === 400 && ANOTHER_OPERATION.test(message)) return { state: 'busy' };
      // Server.Sync: PermissionDenied (403, code 7) "Cannot sync: Blocked by sync window".
      if (reply.status === 403 && SYNC_WINDOW_BLOCKED.test(message)) {
        const until = await syncWindowEnd(ref).catch(() => undefined);
        return { state: 'blocked', message, until };
      }
      throw failure('POST', path, reply);
    },

    async getStatus(target, opts?: { refresh?: 'normal' | 'hard' }): Promise<AppStatus> {
      return toAppStatus(await getApp(appRef(target), opts?.refresh), target);
    },

    syncWindowEnd,

    appUrl(target): string {
      const ref = appRef(target);
      // Apps outside the control-plane namespace are addressed as <namespace>/<name> in the UI.
      const name = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
      return `${ui}/applications/${name.split('/').map(encodeURIComponent).join('/')}`;
    },
  };
}
