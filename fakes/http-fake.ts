// A small base for protocol-faithful fake servers: real HTTP on 127.0.0.1, a journal of every request,
// and a fault queue (latency, 5xx, 429 with Retry-After, connection reset, custom responses) that
// tests and reliability checks can arm per route.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export type Fault = (
  | { kind: 'latency'; ms: number }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'rateLimit'; retryAfterSeconds: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'reset' }
) & {
  /**
   * The request is handled first (the write happens) and only the reply is replaced by the fault: a reply lost
   * on the way back, as a proxy timing out or a connection dropping after the upstream committed would do.
   */
  after?: boolean;
};

export interface RandomFaults {
  /** Share of requests that fail, 0..1. */
  rate: number;
  /** Share of the failures injected after the request was handled. */
  afterShare: number;
  /** Only requests whose path matches. */
  path?: RegExp;
  retryAfterSeconds?: number;
  /** Body of an injected 429 / 5xx, in the upstream's own error shape. */
  rateLimitBody?: unknown;
  errorBody?: unknown;
  rng: () => number;
}

interface ArmedFault {
  method?: string;
  pathPattern: RegExp;
  fault: Fault;
  remaining: number;
}

export interface FakeRequest extends RecordedRequest {
  json<T = unknown>(): T;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: FakeRequest, params: Record<string, string>) => FakeResponse | Promise<FakeResponse>;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

/** Compiles `/api/v4/projects/:id/files/:path*` into a regex; `:name*` matches across slashes. */
function compile(path: string): { pattern: RegExp; keys: string[] } {
  const keys: string[] = [];
  const source = path
    .split('/')
    .map((part) => {
      const m = /^:(\w+)(\*)?$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      keys.push(m[1]!);
      return m[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), keys };
}

export class HttpFake {
  readonly requests: RecordedRequest[] = [];
  /** Requests that were handled but whose reply was replaced by an `after` fault. */
  readonly lostReplies: RecordedRequest[] = [];
  private readonly routes: Route[] = [];
  private readonly faults: ArmedFault[] = [];
  private random?: RandomFaults;
  /** How many faults chaos mode injected, by kind (`before`/`after`). */
  readonly injected = { before: 0, after: 0 };
  private server?: Server;
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor(private readonly name: string) {}

  route(method: string, path: string, handler: Handler): this {
    const { pattern, keys } = compile(path);
    this.routes.push({ method: method.toUpperCase(), pattern, keys, handler });
    return this;
  }

  /** Arms a fault for the next `times` requests whose path matches. */
  inject(fault: Fault, match: { method?: string; path?: RegExp | string } = {}, times = 1): this {
    const pathPattern =
      match.path instanceof RegExp
        ? match.path
        : new RegExp(match.path ? match.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : '.*');
    this.faults.push({ method: match.method?.toUpperCase(), pathPattern, fault, remaining: times });
    return this;
  }

  clearFaults(): void {
    this.faults.length = 0;
    this.random = undefined;
  }

  /**
   * Chaos mode: each request (matching `path`, if given) fails with probability `rate`, as a 5xx or a 429 with
   * Retry-After, and `afterShare` of those failures happen *after* the request was handled (the write landed).
   */
  randomFaults(options: RandomFaults | undefined): void {
    this.random = options;
  }

  /** Requests received, optionally filtered by method and path regex. */
  received(method?: string, path?: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => (!method || r.method === method.toUpperCase()) && (!path || path.test(r.path)));
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error(`${this.name} fake is not listening`);
    return `http://127.0.0.1:${address.port}`;
  }

  async listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return this.url;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Every request waits this long before it is answered (a slow upstream), besides any injected fault. */
  setLatency(ms: number): this {
    this.latencyMs = ms;
    return this;
  }

  private latencyMs = 0;

  private takeFault(method: string, path: string): Fault | undefined {
    const random = this.random;
    if (random && (!random.path || random.path.test(path)) && random.rng() < random.rate) {
      const after = random.rng() < random.afterShare;
      this.injected[after ? 'after' : 'before'] += 1;
      const pick = random.rng();
      const fault: Fault =
        pick < 0.3
          ? { kind: 'rateLimit', retryAfterSeconds: random.retryAfterSeconds ?? 1, body: random.rateLimitBody }
          : { kind: 'status', status: pick < 0.65 ? 502 : 503, body: random.errorBody ?? { message: 'unavailable' } };
      return { ...fault, after };
    }
    const armed = this.faults.find((f) => (!f.method || f.method === method) && f.pathPattern.test(path));
    if (!armed) return undefined;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.faults.splice(this.faults.indexOf(armed), 1);
    return armed.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const recorded: RecordedRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: Date.now(),
    };
    this.requests.push(recorded);

    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    let fault = this.takeFault(recorded.method, recorded.path);
    while (fault?.kind === 'latency') {
      await new Promise((r) => setTimeout(r, fault!.kind === 'latency' ? fault!.ms : 0));
      fault = this.takeFault(recorded.method, recorded.path);
    }
    if (fault?.after) {
      // The write happens; its answer is lost.
      await this.dispatch(req, recorded);
      this.lostReplies.push(recorded);
    }
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status')
      return this.send(res, { status: fault.status, body: fault.body, headers: fault.headers });
    if (fault?.kind === 'rateLimit') {
      return this.send(res, {
        status: 429,
        body: fault.body ?? { message: 'Retry later' },
        headers: { 'Retry-After': String(fault.retryAfterSeconds), ...fault.headers },
      });
    }

    this.send(res, await this.dispatch(req, recorded));
  }

  private async dispatch(req: IncomingMessage, recorded: RecordedRequest): Promise<FakeResponse> {
    // Route on the raw path so percent-encoded segments (GitLab's `group%2Fproject`) stay one segment.
    const rawPath = (req.url ?? '/').split('?')[0]!;
    for (const route of this.routes) {
      if (route.method !== recorded.method) continue;
      const m = route.pattern.exec(rawPath);
      if (!m) continue;
      const params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m[i + 1]!)]));
      try {
        return await route.handler({ ...recorded, json: <T>() => JSON.parse(recorded.body || 'null') as T }, params);
      } catch (err) {
        return { status: 500, body: { message: `fake ${this.name} error: ${String(err)}` } };
      }
    }
    return { status: 404, body: { message: '404 Not Found' } };
  }

  private send(res: ServerResponse, response: FakeResponse): void {
    const headers: Record<string, string> = { ...response.headers };
    let payload: string | Buffer | undefined;
    if (response.body === undefined) payload = undefined;
    else if (typeof response.body === 'string' || Buffer.isBuffer(response.body)) payload = response.body;
    else {
      payload = JSON.stringify(response.body);
      headers['Content-Type'] ??= 'application/json';
    }
    res.writeHead(response.status, headers);
    res.end(payload);
  }
}
