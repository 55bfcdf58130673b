// A real Prometheus (Debian's `prometheus` package) on 127.0.0.1 scraping a tiny exporter whose traffic
// the test scripts: per (app, env) it serves http_requests_total counters that grow on every scrape with
// the error ratio the test set, plus a /healthz whose status the test sets. Installs the package when
// missing; never skips.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureAptBinary } from './apt.js';
import { freePort } from '../../platform/free-port.js';

const PROMETHEUS_BINARY = '/usr/bin/prometheus';

export interface TrafficExporter {
  url: string;
  /** Sets the share of 5xx answers for an app in an environment (0…1); undefined stops its traffic. */
  setErrorRatio(app: string, env: string, ratio: number | undefined): void;
  /** What GET /healthz/<app>/<env> answers. */
  setHealth(app: string, env: string, status: number): void;
  scrapes: number;
  close(): Promise<void>;
}

export interface TestPrometheus {
  url: string;
  exporter: TrafficExporter;
  /** Waits until Prometheus has a non-empty answer for `query` (rate() needs a few scrapes). */
  waitForData(query: string, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/** Requests per scrape per series; large enough that a 0.2 % ratio is visible. */
const REQUESTS_PER_SCRAPE = 1000;

export async function startExporter(): Promise<TrafficExporter> {
  const traffic = new Map<string, { ratio: number; ok: number; errors: number }>();
  const health = new Map<string, number>();
  let server: Server | undefined = undefined;
  const exporter: TrafficExporter = {
    url: '',
    scrapes: 0,
    setErrorRatio(app, env, ratio) {
      const key = JSON.stringify([app, env]);
      if (ratio === undefined) return void traffic.delete(key);
      const entry = traffic.get(key) ?? { ratio, ok: 0, errors: 0 };
      entry.ratio = ratio;
      traffic.set(key, entry);
    },
    setHealth(app, env, status) {
      health.set(`/healthz/${app}/${env}`, status);
    },
    close: () => new Promise<void>((resolve) => server!.close(() => resolve())),
  };
  server = createHttpServer((req, res) => {
    if (req.url === '/metrics') {
      exporter.scrapes++;
      const lines = ['# TYPE http_requests_total counter'];
      for (const [key, entry] of traffic) {
        const [app, env] = JSON.parse(key) as [string, string];
        const errors = Math.round(REQUESTS_PER_SCRAPE * entry.ratio);
        entry.errors += errors;
        entry.ok += REQUESTS_PER_SCRAPE - errors;
        lines.push(`http_requests_total{app="${app}",env="${env}",code="200"} ${entry.ok}`);
        lines.push(`http_requests_total{app="${app}",env="${env}",code="500"} ${entry.errors}`);
      }
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(`${lines.join('\n')}\n`);
      return;
    }
    const status = health.get(req.url ?? '');
    res.writeHead(status ?? 404);
    res.end(status ? 'ok' : 'unknown');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('exporter has no port');
  exporter.url = `http://127.0.0.1:${address.port}`;
  return exporter;
}

/** The error-ratio query of the example, over a short range because the test scrapes every 500 ms. */
export const ERROR_RATIO_QUERY =
  'sum(rate(http_requests_total{app="{service}",env="{environment}",code=~"5.."}[4s])) / sum(rate(http_requests_total{app="{service}",env="{environment}"}[4s]))';

export async function startPrometheus(): Promise<TestPrometheus> {
  await ensureAptBinary(PROMETHEUS_BINARY, 'prometheus');
  const exporter = await startExporter();
  const dir = mkdtempSync(join(tmpdir(), 'runway-prometheus-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 500ms',
      '  scrape_timeout: 400ms',
      'scrape_configs:',
      '  - job_name: exporter',
      '    static_configs:',
      `      - targets: ['${exporter.url.replace('http://', '')}']`,
      '',
    ].join('\n'),
  );
  let output = '';
  const child: ChildProcess = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await exporter.close();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`);
      const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
      if (ready?.ok) break;
      if (Date.now() > deadline) throw new Error(`prometheus not ready on ${url} within 30 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const waitForData = async (query: string, timeoutMs = 20_000): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
      const value = Number(body.data?.result?.[0]?.value[1]);
      if (Number.isFinite(value)) return value;
      if (Date.now() > deadline) throw new Error(`no data for ${query} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  return { url, exporter, waitForData, stop };
}
