// The worker's tiny HTTP server: GET /metrics (Prometheus text) and GET /healthz. node:http keeps
// the worker free of the API's web stack.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METRICS_CONTENT_TYPE } from './metrics.js';

export interface MetricsServerOptions {
  host: string;
  port: number;
  /** The exposition text, computed per scrape. */
  metrics: () => Promise<string>;
  /** Liveness: ok false answers 503. */
  health?: () => { ok: boolean; [detail: string]: unknown };
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** RUNWAY_METRICS_HOST / RUNWAY_METRICS_PORT, with defaults for a container (all interfaces, 9464). */
export function metricsServerAddress(
  env: NodeJS.ProcessEnv = process.env,
  defaults = { host: '0.0.0.0', port: 9464 },
): { host: string; port: number } {
  const port = env.RUNWAY_METRICS_PORT ? Number(env.RUNWAY_METRICS_PORT) : defaults.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid RUNWAY_METRICS_PORT "${env.RUNWAY_METRICS_PORT}"`);
  return { host: env.RUNWAY_METRICS_HOST || defaults.host, port };
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' }).end();
    } else if (path === '/metrics') {
      options
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text))
        .catch((err: unknown) =>
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`# ${(err as Error).message}\n`),
        );
    } else if (path === '/healthz') {
      const health = options.health?.() ?? { ok: true };
      const { ok, ...detail } = health;
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ok' : 'unhealthy', ...detail }));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
