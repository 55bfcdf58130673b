// `npm run bench`: Runway's throughput and latency on a real Temporal dev server with instant fakes.
// (a) N releases of distinct services through one worker child process, started by the HTTP webhook,
// production approved through the Update at once; (b) the webhook endpoint under a bounded load from a
// second process. Writes docs/benchmarks.md, always exits 0 once it got that far, and cleans up.
import { fork, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { createApp } from '../api/app.js';
import { ReleaseService } from '../api/release-service.js';
import { listen, type RunningServer } from '../api/server.js';
import { parseConfig } from '../config/load.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';
import { createLogger } from '../platform/logger.js';
import { temporalExecutable } from '../test/support/temporal-cli.js';
import { WORKFLOWS_PATH } from '../worker/create-worker.js';
import { benchConfigYaml, commitSha, mergeHookBody, releaseServices, WEBHOOK_HEADERS, type FromWorker } from './config.js';
import { releaseBreakdown, type Breakdown } from './history.js';
import type { LoadJob, LoadResult } from './load.js';
import { childPids, cpuMs, machine, memoryOf, RssSampler, threadCpuMs } from './procs.js';
import { summariseProfiles } from './profile.js';
import { runReleases } from './releases.js';
import { writeReport } from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RELEASES = Number(process.env.BENCH_RELEASES ?? 200);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const LOAD_REQUESTS = Number(process.env.BENCH_LOAD_REQUESTS ?? RATE * 10);
const PROFILE = !process.argv.includes('--no-profile');
const OUTPUT = path.join(ROOT, 'docs/benchmarks.md');

const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const cleanups: (() => Promise<unknown> | unknown)[] = [];
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };

/** Runs a TypeScript file in a child Node process with an IPC channel (tsx as the loader). */
function forkTs(file: string, execArgv: string[] = []): ChildProcess {
  const child = fork(path.join(ROOT, file), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  cleanups.push(() => stopChild(child, 0));
  return child;
}

/** Waits for a child to exit; asks it with SIGTERM after `graceMs`, then SIGKILL. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const term = setTimeout(() => child.kill('SIGTERM'), graceMs);
  const kill = setTimeout(() => child.kill('SIGKILL'), graceMs + 10_000);
  await exited;
  clearTimeout(term);
  clearTimeout(kill);
}

function nextMessage<T>(child: ChildProcess, accept: (m: T) => boolean, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child sent nothing within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: T) => {
      if (!accept(m)) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before answering`)));
  });
}

async function runLoad(job: LoadJob): Promise<LoadResult> {
  const child = forkTs('bench/load.ts');
  const answer = nextMessage<LoadResult>(child, () => true, 120_000);
  child.send(job);
  const result = await answer;
  await stopChild(child, 5_000);
  return result;
}

async function main(): Promise<void> {
  const host = machine();
  log(`${host.cpu}, ${host.cores} cores, load ${host.load}`);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const executable = temporalExecutable();
  const temporalVersion =
    executable.type === 'existing-path'
      ? execFileSync(executable.path, ['--version'], { encoding: 'utf8' }).trim()
      : 'dev server downloaded by the Temporal SDK';
  const work = mkdtempSync(path.join(tmpdir(), 'runway-bench-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));

  log(`starting the Temporal dev server (${temporalVersion})`);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable,
      searchAttributes: [...RUNWAY_SEARCH_ATTRIBUTES],
      extraArgs: ['--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true'],
    },
  });
  cleanups.push(() => env.teardown());
  const serverPid = childPids(process.pid, 'temporal')[0];
  const connection = await Connection.connect({ address: env.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection });

  // Pre-built, as in production (RUNWAY_WORKFLOW_BUNDLE): the worker's memory is not its bundler's.
  log('bundling workflows');
  const bundlePath = path.join(work, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet })).code);

  const services = releaseServices(RELEASES);
  const configYaml = benchConfigYaml(services, 'bench-releases');
  const api = await startApi(client, configYaml);

  // ---- (a) releases through one worker
  const profileDir = path.join(work, 'profile');
  const worker = forkTs(
    'bench/worker-process.ts',
    PROFILE ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-interval', '1000'] : [],
  );
  const rss = new RssSampler(worker.pid!);
  worker.on('message', (m: FromWorker) => m.type === 'memory' && rss.record(m.rss));
  const ready = nextMessage<FromWorker>(worker, (m) => m.type === 'ready', 120_000);
  worker.send({ type: 'start', address: env.address, configYaml, bundlePath });
  await ready;
  const idleRss = memoryOf(worker.pid!)?.rss ?? rss.peak;
  rss.start();

  log(`phase (a): ${RELEASES} releases through one worker`);
  const cpuBefore = { worker: cpuMs(worker.pid!), server: serverPid && cpuMs(serverPid), self: process.cpuUsage() };
  const startedAt = Date.now();
  const records = await runReleases({
    url: api.server.url,
    services,
    run: Date.now() % 0xffffffff,
    worker,
    releases: api.releases,
    client,
    deadlineMs: 180_000,
  });
  const finishedAt = Date.now();
  rss.stop();
  const selfCpu = process.cpuUsage(cpuBefore.self);
  const cpu = {
    worker: (cpuMs(worker.pid!) ?? NaN) - (cpuBefore.worker ?? NaN),
    server: serverPid ? (cpuMs(serverPid) ?? NaN) - (cpuBefore.server || 0) : NaN,
    driver: (selfCpu.user + selfCpu.system) / 1000,
    workerThreads: threadCpuMs(worker.pid!),
  };
  const workerPeak = memoryOf(worker.pid!)?.peak ?? rss.peak;
  log(`phase (a) done in ${((finishedAt - startedAt) / 1000).toFixed(1)} s; reading histories`);

  const breakdowns = new Map<string, Breakdown>();
  for (let i = 0; i < records.length; i += 20) {
    await Promise.all(
      records.slice(i, i + 20).map(async (r) => {
        const b = await releaseBreakdown(client, r.releaseId).catch(() => undefined);
        if (b) breakdowns.set(r.releaseId, b);
      }),
    );
  }
  worker.send({ type: 'stop' });
  await stopChild(worker, 20_000);
  const profiles = PROFILE ? summariseProfiles(profileDir, ROOT) : [];

  // ---- (b) the webhook endpoint under load, from a second process; releases queue on a task queue
  // no worker polls, so this measures the front door (API + Temporal start), as deployed apart from workers.
  log(`phase (b): webhook load at ${RATE} req/s`);
  const loadService = 'bench-load';
  const loadApi = await startApi(client, benchConfigYaml([loadService], 'bench-unpolled'));
  const job = (mode: LoadJob['mode'], run: number, amount: number): LoadJob => ({
    url: `${loadApi.server.url}/webhooks/gitlab`,
    service: loadService,
    mode,
    run,
    rate: RATE,
    amount,
    connections: 10,
  });
  await runLoad(job('new', 1, Math.min(RATE, LOAD_REQUESTS))); // warm-up, not reported
  const fresh = await runLoad(job('new', 2, LOAD_REQUESTS));
  const first = await fetch(`${loadApi.server.url}/webhooks/gitlab`, {
    method: 'POST',
    headers: WEBHOOK_HEADERS,
    body: mergeHookBody(loadService, commitSha(3, 0)),
  });
  await first.arrayBuffer();
  const redelivery = await runLoad(job('redelivery', 3, LOAD_REQUESTS));

  writeReport(OUTPUT, {
    host,
    temporalVersion,
    releases: RELEASES,
    rate: RATE,
    profiled: PROFILE,
    phaseA: { records, startedAt, finishedAt, breakdowns, cpu, idleRss, workerPeak, sampledPeak: rss.peak, profiles },
    phaseB: { fresh, redelivery, connections: 10 },
  });
  log(`wrote ${path.relative(ROOT, OUTPUT)}`);
}

async function startApi(client: Client, configYaml: string): Promise<{ server: RunningServer; releases: ReleaseService }> {
  const config = parseConfig(configYaml, {});
  const releases = new ReleaseService(client, config);
  const logger = createLogger('bench-api', 'silent');
  const app = createApp({ config, client, releases, logger, publicUrl: 'http://runway.bench' });
  const server = await listen(app, { host: '127.0.0.1', port: 0 });
  cleanups.push(() => server.close());
  return { server, releases };
}

async function cleanUp(): Promise<void> {
  for (const step of cleanups.reverse()) {
    await Promise.resolve()
      .then(step)
      .catch((err: unknown) => console.error('bench cleanup:', (err as Error).message));
  }
  cleanups.length = 0;
}

process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
main()
  .catch((err: unknown) => {
    console.error('bench failed:', err);
    process.exitCode = 1;
  })
  .finally(() => cleanUp().then(() => process.exit()));
