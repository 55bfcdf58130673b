// `npm run bench`: Runway's throughput and latency on a real Temporal dev server with instant fakes.
// (a) releases through one worker child process, started by the HTTP webhook, production approved
// through the Update at once: a few alone (Runway's own latency), then N at once (throughput, memory);
// (b) the webhook endpoint under a fixed request rate from a second process. Writes docs/benchmarks.md,
// exits 0 whatever the figures, and stops everything it started.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
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
import { cleanUp, forkTs, nextMessage, onCleanup, ROOT, stopChild } from './children.js';
import {
  benchConfigYaml,
  commitSha,
  mergeHookBody,
  releaseServices,
  WEBHOOK_HEADERS,
  type FromWorker,
} from './config.js';
import { runFloor } from './floor.js';
import { releaseBreakdown, type Breakdown } from './history.js';
import type { LoadJob, LoadResult } from './load.js';
import { childPids, cpuMs, cpuPressure, machine, memoryOf, RssSampler, threadCpuMs } from './procs.js';
import { monotonicUs, summariseProfiles } from './profile.js';
import { vmCallCost } from './vm-watchdog.js';
import { runReleases, type ReleaseRecord } from './releases.js';
import { writeReport, type CpuUse, type LoadRun } from './report.js';
import { percentile } from './stats.js';

const RELEASES = Number(process.env.BENCH_RELEASES ?? 200);
const SOLO = 5;
const RATE = Number(process.env.BENCH_RATE ?? 200);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
// How long the releases of phase (a) may take; a shared machine may need minutes for 200.
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_S ?? 600) * 1000;
const PROFILE = !process.argv.includes('--no-profile');
// The floor's steps: as many as a release runs activities (28 since main stopped local activities for new
// releases; docs/benchmarks.md shows both counts).
const FLOOR_STEPS = Number(process.env.BENCH_FLOOR_STEPS ?? 28);
const OUTPUT = path.join(ROOT, 'docs/benchmarks.md');
// Experiments (not Runway's defaults), to see what a setting would change: worker options, server eager activities.
const envNumber = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
const EXPERIMENT = {
  workflowThreadPoolSize: envNumber('BENCH_WORKFLOW_THREADS'),
  maxCachedWorkflows: envNumber('BENCH_MAX_CACHED'),
  eagerActivities: process.env.BENCH_EAGER_ACTIVITIES !== '0', // Runway's recommended server setting
};
const DATA = path.join(ROOT, '.data/bench'); // raw profiles and a sample history, for a closer look

// Times every StartWorkflowExecution the API makes: the Temporal part of a webhook's latency.
const startRpcMs: number[] = [];
const timeStarts: WorkflowClientInterceptor = {
  async startWithDetails(input, next) {
    const begin = performance.now();
    try {
      return await next(input);
    } finally {
      startRpcMs.push(performance.now() - begin);
    }
  },
};

const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };

async function main(): Promise<void> {
  const host = machine();
  log(`${host.cpu}, ${host.cores} cores, load average ${host.load}`);
  rmSync(DATA, { recursive: true, force: true });
  mkdirSync(DATA, { recursive: true });
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const executable = temporalExecutable();
  const temporalVersion =
    executable.type === 'existing-path'
      ? execFileSync(executable.path, ['--version'], { encoding: 'utf8' }).trim()
      : 'dev server downloaded by the Temporal SDK';

  log(`starting the Temporal dev server (${temporalVersion})`);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable,
      searchAttributes: [...RUNWAY_SEARCH_ATTRIBUTES],
      extraArgs: [
        ...['--log-level', 'error'], // its warnings about slow calls under load would flood the output
        ...['--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true'],
        ...(EXPERIMENT.eagerActivities ? ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'] : []),
      ],
    },
  });
  onCleanup(() => env.teardown());
  const serverPid = childPids(process.pid, 'temporal')[0];
  const connection = await Connection.connect({ address: env.address });
  onCleanup(() => connection.close());
  const client = new Client({ connection, interceptors: { workflow: [timeStarts] } });

  // Pre-built, as in production (RUNWAY_WORKFLOW_BUNDLE): the worker's memory is not its bundler's.
  log('bundling workflows');
  const bundlePath = path.join(DATA, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet })).code);

  // ---- the floor: bare workflows on the same dev server, just before Runway's releases
  const floor = await runFloor({
    client,
    address: env.address,
    dataDir: DATA,
    steps: FLOOR_STEPS,
    solo: SOLO,
    burst: RELEASES,
    log,
  });

  const services = releaseServices(RELEASES);
  const solos = Array.from({ length: SOLO + 1 }, (_, i) => `solo-${i}`);
  const configYaml = benchConfigYaml([...solos, ...services], 'bench-releases');
  const api = await startApi(client, configYaml);

  // ---- (a) releases through one worker
  const worker = forkTs(
    'bench/worker-process.ts',
    // A 10 ms sampling interval keeps the profiler's own cost small.
    PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.join(DATA, 'profile'), '--cpu-prof-interval', '10000'] : [],
  );
  const rss = new RssSampler(worker.pid!);
  let peakCached = 0;
  worker.on('message', (m: FromWorker) => {
    if (m.type !== 'memory') return;
    rss.record(m.rss);
    peakCached = Math.max(peakCached, m.cached);
  });
  const ready = nextMessage<FromWorker>(worker, (m) => m.type === 'ready', 120_000);
  const { workflowThreadPoolSize, maxCachedWorkflows } = EXPERIMENT; // unset ones vanish in IPC's JSON
  const overrides = { workflowThreadPoolSize, maxCachedWorkflows };
  worker.send({ type: 'start', address: env.address, configYaml, bundlePath, overrides });
  await ready;
  const idleRss = memoryOf(worker.pid!)?.rss ?? rss.peak;
  const run = Date.now() % 0xffffffff;
  const release = (list: string[], offset: number) =>
    runReleases({
      url: api.server.url,
      services: list,
      run: run + offset,
      worker,
      releases: api.releases,
      client,
      deadlineMs: DEADLINE_MS,
    });

  const loadAtRunway = os.loadavg();
  log(`phase (a): ${SOLO} releases one at a time (after one to warm up)`);
  const solo: ReleaseRecord[] = [];
  for (const [i, service] of solos.entries()) {
    const [record] = await release([service], i + 1);
    if (i > 0 && record) solo.push(record);
  }

  log(`phase (a): ${RELEASES} releases at once through one worker`);
  rss.start();
  const cpuBefore = cpuSnapshot(worker.pid, serverPid);
  const startedAt = Date.now();
  const window = { fromUs: monotonicUs(), toUs: 0 };
  const burst = RELEASES > 0 ? await release(services, 0) : [];
  window.toUs = monotonicUs();
  const finishedAt = Date.now();
  rss.stop();
  const cpu = cpuSince(cpuBefore, worker.pid, serverPid);
  const pressure = cpuPressure();
  const workerPeak = memoryOf(worker.pid!)?.peak ?? rss.peak;
  log(`phase (a) done in ${((finishedAt - startedAt) / 1000).toFixed(1)} s; reading histories`);

  const breakdowns = await readHistories(client, [...solo, ...burst]);
  worker.send({ type: 'stop' });
  await stopChild(worker, 20_000);
  const profiles = PROFILE ? summariseProfiles(path.join(DATA, 'profile'), ROOT, window) : [];
  const vmCost = vmCallCost();

  // ---- (b) the webhook endpoint under load, from a second process. Its releases go to a task queue no
  // worker polls: this measures the front door alone (in production workers run elsewhere).
  log(`phase (b): webhook load, ${RATE} req/s for ${LOAD_SECONDS} s, new releases then redeliveries`);
  const loadService = 'bench-load';
  const loadApi = await startApi(client, benchConfigYaml([loadService], 'bench-unpolled'));
  const job = (mode: LoadJob['mode'], runId: number, seconds: number): LoadJob => ({
    url: `${loadApi.server.url}/webhooks/gitlab`,
    service: loadService,
    mode,
    run: run + 1000 + runId,
    rate: RATE,
    seconds,
  });
  await runLoad(job('new', 1, 2), serverPid); // warm-up, not reported
  const fresh = await runLoad(job('new', 2, LOAD_SECONDS), serverPid);
  const first = await fetch(`${loadApi.server.url}/webhooks/gitlab`, {
    method: 'POST',
    headers: WEBHOOK_HEADERS,
    body: mergeHookBody(loadService, commitSha(run + 1003, 0)),
  });
  await first.arrayBuffer();
  const redelivery = await runLoad(job('redelivery', 3, LOAD_SECONDS), serverPid);

  await writeReport(OUTPUT, {
    host,
    temporalVersion,
    releases: RELEASES,
    rate: RATE,
    profiled: PROFILE,
    experiment: EXPERIMENT,
    floor,
    loadAtRunway,
    solo,
    burst: {
      records: burst,
      startedAt,
      finishedAt,
      cpu,
      idleRss,
      workerPeak,
      sampledPeak: rss.peak,
      peakCached,
      profiles,
      vmCost,
      pressure,
    },
    breakdowns,
    load: { fresh, redelivery, seconds: LOAD_SECONDS },
  });
  log(`wrote ${path.relative(ROOT, OUTPUT)}`);
}

async function startApi(
  client: Client,
  configYaml: string,
): Promise<{ server: RunningServer; releases: ReleaseService }> {
  const config = parseConfig(configYaml, {});
  const releases = new ReleaseService(client, config);
  const logger = createLogger('bench-api', 'silent');
  const app = createApp({ config, client, releases, logger, publicUrl: 'http://runway.bench' });
  const server = await listen(app, { host: '127.0.0.1', port: 0 });
  onCleanup(() => server.close());
  return { server, releases };
}

/**
 * One load run in a child process; adds the CPU the API (this process) and the dev server used meanwhile,
 * and how long the API's calls to Temporal took.
 */
async function runLoad(job: LoadJob, serverPid: number | undefined): Promise<LoadRun> {
  const child = forkTs('bench/load.ts');
  const answer = nextMessage<LoadResult>(child, () => true, (job.seconds + 60) * 1000);
  const before = cpuSnapshot(undefined, serverPid);
  startRpcMs.length = 0;
  child.send(job);
  const result = await answer;
  const cpu = cpuSince(before, undefined, serverPid);
  await stopChild(child, 5_000);
  return { ...result, cpu, temporal: { p50: percentile(startRpcMs, 50), p99: percentile(startRpcMs, 99) } };
}

function cpuSnapshot(workerPid: number | undefined, serverPid: number | undefined) {
  return {
    worker: workerPid ? (cpuMs(workerPid) ?? NaN) : NaN,
    threads: workerPid ? threadCpuMs(workerPid) : new Map<string, number>(),
    server: serverPid ? (cpuMs(serverPid) ?? NaN) : NaN,
    self: process.cpuUsage(),
  };
}

function cpuSince(before: ReturnType<typeof cpuSnapshot>, workerPid?: number, serverPid?: number): CpuUse {
  const now = cpuSnapshot(workerPid, serverPid);
  const self = process.cpuUsage(before.self);
  const threads = new Map([...now.threads].map(([name, t]) => [name, t - (before.threads.get(name) ?? 0)]));
  return {
    worker: now.worker - before.worker,
    server: now.server - before.server,
    driver: (self.user + self.system) / 1000,
    threads,
  };
}

async function readHistories(client: Client, records: ReleaseRecord[]): Promise<Map<string, Breakdown>> {
  const out = new Map<string, Breakdown>();
  for (let i = 0; i < records.length; i += 20) {
    await Promise.all(
      records.slice(i, i + 20).map(async (r) => {
        const b = await releaseBreakdown(client, r.releaseId).catch(() => undefined);
        if (b) out.set(r.releaseId, b);
      }),
    );
  }
  if (records[0]) {
    const sample = await client.workflow.getHandle(records[0].releaseId).fetchHistory();
    writeFileSync(path.join(DATA, 'sample-history.json'), JSON.stringify(sample, null, 1));
  }
  return out;
}

process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
main()
  .catch((err: unknown) => {
    console.error('bench failed:', err);
    process.exitCode = 1;
  })
  .finally(() => cleanUp().then(() => process.exit()));
