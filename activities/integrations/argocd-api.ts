// ArgoCdPort over Argo CD's REST API (grpc-gateway), authenticated with a Bearer token.
import { request as httpsRequest } from 'node:https';
import type { ArgoCdPort, AppStatus } from '../ports.js';
import {
  activeOperation,
  DEFAULT_BUSY_WAIT,
  PermanentArgoCdError,
  toAppStatus,
  untilIdle,
  type BusyWaitOptions,
} from './argocd-status.js';

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
  /** How long `sync` waits out someone else's operation. */
  busyWait?: Partial<BusyWaitOptions>;
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
  const wait: BusyWaitOptions = { ...DEFAULT_BUSY_WAIT, ...options.busyWait };
  const send = options.insecureTls ? insecureTransport(timeoutMs) : fetchTransport(timeoutMs);

  // Belt and braces: no message may carry the token, whatever a server or proxy echoes back.
  const redact = (text: string): string => (options.token ? text.split(options.token).join('[redacted]') : text);

  const appPath = (name: string): string => `/api/v1/applications/${encodeURIComponent(name)}`;

  async function exchange(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply> {
    const headers: Record<string, string> = { Authorization: `Bearer ${options.token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
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

  async function getApp(name: string, refresh?: 'normal' | 'hard'): Promise<unknown> {
    const path = appPath(name) + (refresh ? `?refresh=${refresh}` : '');
    const reply = await exchange('GET', path);
    if (reply.status !== 200) throw failure('GET', path, reply);
    return parse('GET', path, reply);
  }

  return {
    async sync(application: string, revision: string): Promise<void> {
      const path = `${appPath(application)}/sync`;
      const body = { revision, prune: false, strategy: { hook: {} } };
      await untilIdle(application, wait, async () => {
        const reply = await exchange('POST', path, body);
        if (reply.status >= 200 && reply.status < 300) return 'done';
        if (reply.status !== 400 || !ANOTHER_OPERATION.test(serverMessage(reply.text))) {
          throw failure('POST', path, reply);
        }
        // A retried activity may find its own earlier sync still running: that is success.
        const active = activeOperation(await getApp(application));
        if (active?.revision === revision) return 'done';
        return { busyWith: active?.revision };
      });
    },

    async getStatus(application: string, opts?: { refresh?: 'normal' | 'hard' }): Promise<AppStatus> {
      return toAppStatus(await getApp(application, opts?.refresh));
    },

    appUrl(application: string): string {
      return `${ui}/applications/${encodeURIComponent(application)}`;
    },
  };
}
