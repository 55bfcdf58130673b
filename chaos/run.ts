// `npm run chaos`: Runway under a flaky world, on loopback only and bounded in time. Real worker processes are
// SIGKILLed at random points, the GitLab and Slack fakes fail 30 % of requests (5xx or 429 with Retry-After;
// a third of those AFTER the write, the reply lost), the Temporal dev server is SIGKILLed and restarted on its
// SQLite file, and hundreds of hostile requests hit the API. Prints and saves (.data/chaos/result.json) the
// counts: releases ended right, duplicate effects, wrong statuses, crashes, leaked secrets. Exit 1 when any
// count is wrong. `--short` is a quick variant. Not part of `make test`.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { createApp } from '../api/app.js';
import { startRelease } from '../api/releases.js';
import { ReleaseService } from '../api/release-service.js';
import { listen } from '../api/server.js';
import { parseConfig } from '../config/load.js';
import { FAKE_GITLAB_TOKEN } from '../fakes/gitlab.js';
import { DEFAULT_FAKE_SLACK_TOKEN } from '../fakes/slack.js';
import { createLogger } from '../platform/logger.js';
import { WORKFLOWS_PATH } from '../worker/create-worker.js';
import { approveUpdate, rejectUpdate, statusQuery } from '../workflows/messages.js';
import { temporalExecutable } from '../test/support/temporal-cli.js';
import {
  APPROVALS_CHANNEL,
  APPROVERS,
  ARGOCD_UI_URL,
  MERGE_REQUEST_IID,
  RELEASES_CHANNEL,
  createIntegrationWorld,
  type IntegrationWorld,
} from '../test/support/integration-world.js';
import { countDuplicates, findLeaks } from './count.js';
import { worldConfigYaml } from './world-config.js';
import { hostileRequests, sendHostile, type HostileOutcome } from './hostile.js';
import { freePort } from '../platform/free-port.js';
import { TemporalServer } from './temporal-server.js';
import { startWorkerProcess, type WorkerHandle } from './workers.js';
import type { WorldAddress } from './world-ports.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATA = path.join(ROOT, '.data/chaos');
const SHORT = process.argv.includes('--short');
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const OPTIONS = {
  services: env('CHAOS_SERVICES', SHORT ? 2 : 4),
  releasesPerService: env('CHAOS_RELEASES', SHORT ? 3 : 8),
  workers: 3,
  minKills: env('CHAOS_KILLS', SHORT ? 5 : 30),
  faultRate: 0.3,
  afterShare: 1 / 3,
  hostileRounds: SHORT ? 1 : 2,
  deadlineMs: env('CHAOS_DEADLINE_S', SHORT ? 420 : 1200) * 1000,
  seed: env('CHAOS_SEED', Date.now() % 1_000_000),
};
// Recognisable secrets: none may appear in any log or workflow history.
const WEBHOOK_SECRET = `chaos-webhook-secret-${randomUUID()}`;
const API_TOKENS = {
  reader: `chaos-reader-token-${randomUUID()}`,
  deployer: `chaos-deployer-token-${randomUUID()}`,
  approver: `chaos-approver-token-${randomUUID()}`,
};

/** mulberry32: a seeded generator, so a run can be repeated with CHAOS_SEED. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rng = seeded(OPTIONS.seed);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started = Date.now();
const log = (text: string) => console.log(`[chaos ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${text}`);

type Expected = 'succeeded' | 'rolled_back' | 'rejected';
interface ReleaseRun {
  releaseId: string;
  expected: Expected;
  status?: string;
  /** Timeline warnings: steps that gave up (e.g. a notification after its last attempt). */
  warnings?: string[];
}

/** Retries a call to Temporal through its outage (bounded by the run's deadline). */
async function persist<T>(what: string, call: () => Promise<T>, deadline: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`);
      await sleep(Math.min(250 * attempt, 2_000));
    }
  }
}

async function main(): Promise<void> {
  rmSync(DATA, { recursive: true, force: true });
  mkdirSync(DATA, { recursive: true });
  const deadline = started + OPTIONS.deadlineMs;
  log(`options ${JSON.stringify(OPTIONS)}`);
  Runtime.install({ logger: new DefaultLogger('ERROR') });

  const executable = temporalExecutable();
  if (executable.type !== 'existing-path') throw new Error('the chaos run needs the temporal CLI (it kills it)');
  const server = new TemporalServer(
    executable.path,
    await freePort(),
    path.join(DATA, 'temporal.db'),
    path.join(DATA, 'temporal.log'),
  );
  const cleanups: (() => Promise<unknown>)[] = [() => server.sigkill()];
  const workers: WorkerHandle[] = [];
  let world: IntegrationWorld | undefined;
  try {
    await server.start();
    log(`Temporal dev server on ${server.address}`);
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });

    const names = Array.from({ length: OPTIONS.services }, (_, i) => `chaos${i}-${randomUUID().slice(0, 4)}`);
    world = await createIntegrationWorld({
      services: names,
      badTagMarker: 'broken',
      argocdTiming: { pickupMs: 50, operationMs: 150, healthyAfterMs: 600 },
    });
    const w = world;
    cleanups.push(() => w.close());
    log(`world: ${names.length} services, GitLab ${w.gitlab.url}, Slack ${w.slack.apiUrl}`);

    const bundlePath = path.join(DATA, 'workflow-bundle.js');
    writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundler })).code);
    const taskQueue = `chaos-${randomUUID().slice(0, 8)}`;

    // The API, in this process (it is not what gets killed), logging to a file that is scanned for secrets.
    const config = parseConfig(
      worldConfigYaml(w, {
        taskQueue,
        temporalAddress: server.address,
        webhookSecret: WEBHOOK_SECRET,
        tokens: API_TOKENS,
      }),
      {},
    );
    const apiLogger = createLogger(
      'chaos-api',
      'info',
      pino.destination({ dest: path.join(DATA, 'api.log'), sync: true }),
    );
    const app = createApp({
      config,
      client,
      releases: new ReleaseService(client, config),
      logger: apiLogger,
      publicUrl: 'http://runway.chaos',
    });
    const api = await listen(app, { host: '127.0.0.1', port: 0 });
    cleanups.push(() => api.close());

    // ---- workers, and the killer
    let spawned = 0;
    const spawn = (): WorkerHandle => {
      spawned += 1;
      const address: WorldAddress = {
        gitlabUrl: w.gitlab.url,
        gitlabToken: FAKE_GITLAB_TOKEN,
        slackApiUrl: w.slack.apiUrl,
        slackToken: DEFAULT_FAKE_SLACK_TOKEN,
        defaultChannel: RELEASES_CHANNEL.id,
        argocdUrl: w.argocd.url,
        argocdToken: w.argocd.token,
        argocdUiUrl: ARGOCD_UI_URL,
        registryHost: w.registry.host,
        infraCacheDir: path.join(DATA, `git-cache-${spawned}`),
      };
      const handle = startWorkerProcess({
        address: server.address,
        taskQueue,
        bundlePath,
        world: address,
        logFile: path.join(DATA, 'workers.log'),
      });
      workers.push(handle);
      return handle;
    };
    const alive: WorkerHandle[] = Array.from({ length: OPTIONS.workers }, spawn);
    await Promise.all(alive.map((h) => h.ready));
    cleanups.push(async () => {
      for (const h of workers) await h.sigkill();
    });
    log(`${alive.length} worker processes ready`);

    // ---- faults: 30 % of GitLab and Slack API requests, a third of them after the write
    w.gitlab.http.randomFaults({
      rate: OPTIONS.faultRate,
      afterShare: OPTIONS.afterShare,
      path: /^\/api\/v4\//,
      retryAfterSeconds: 1,
      rateLimitBody: 'Retry later\n',
      errorBody: { message: '502 Bad Gateway' },
      rng,
    });
    w.slack.http.randomFaults({
      rate: OPTIONS.faultRate,
      afterShare: OPTIONS.afterShare,
      path: /^\/api\//,
      retryAfterSeconds: 1,
      rateLimitBody: { ok: false, error: 'ratelimited' },
      errorBody: 'upstream connect error',
      rng,
    });

    let kills = 0;
    let outage = { done: false, running: false, downMs: 0 };
    let stopKilling = false;
    // Kills land at random points of random work, but never on the last polling worker: a fleet that loses
    // pods one at a time, not one with no pod left (a worker takes ~10 s to start on a busy machine).
    const killer = (async () => {
      while (!stopKilling) {
        await sleep(2_000 + rng() * 4_000);
        const ready = alive.filter((h) => h.isReady());
        if (stopKilling || outage.running || ready.length < 2) continue;
        const victim = ready[Math.floor(rng() * ready.length)]!;
        alive.splice(alive.indexOf(victim), 1);
        await victim.sigkill();
        kills += 1;
        alive.push(spawn());
      }
    })();

    // ---- releases: per service one after another (a newer one would supersede an older at approval)
    const runs: ReleaseRun[] = [];
    let ended = 0;
    const total = OPTIONS.services * OPTIONS.releasesPerService;
    const drive = async (service: string) => {
      for (let i = 0; i < OPTIONS.releasesPerService && Date.now() < deadline; i++) {
        const expected: Expected =
          i % 4 === 2 ? 'rolled_back' : i % 4 === 3 && i > 0 && rng() < 0.5 ? 'rejected' : 'succeeded';
        const base = w.plan(service);
        const tag = expected === 'rolled_back' ? `${base.commit.sha.slice(0, 12)}-broken` : base.image.tag;
        const plan = {
          ...base,
          image: { ...base.image, tag },
          environments: base.environments.map((e) => ({
            ...e,
            healthTimeoutMs: 180_000,
            degradedGraceMs: 300,
            approval: e.approval && { ...e.approval, timeoutMs: 30 * 60_000 },
          })),
          timing: { heartbeatTimeoutMs: 3_000, pollIntervalMs: 100, retryInitialIntervalMs: 200 },
        };
        await w.pushImage(service, tag);
        const run: ReleaseRun = { releaseId: plan.releaseId, expected };
        runs.push(run);
        await persist(
          'start',
          () =>
            startRelease(client, plan, { taskQueue }).catch((err: Error) => {
              if (err.name === 'WorkflowExecutionAlreadyStartedError') return undefined;
              throw err;
            }),
          deadline,
        );
        const handle = client.workflow.getHandle(plan.releaseId);
        let decided = false;
        for (;;) {
          if (Date.now() > deadline) break;
          const description = await persist('describe', () => handle.describe(), deadline).catch(() => undefined);
          if (description && description.status.name !== 'RUNNING') break;
          const timeline = await handle.query(statusQuery).catch(() => undefined);
          if (!decided && timeline?.status === 'awaiting_approval') {
            const update = expected === 'rejected' ? rejectUpdate : approveUpdate;
            await handle
              .executeUpdate(update, { args: [{ environment: 'production', approver: APPROVERS[0] }] })
              .then(() => (decided = true))
              .catch(() => undefined); // not waiting any more (an earlier try landed), or Temporal is down
          }
          await sleep(300);
        }
        const final = await persist('final status', () => handle.query(statusQuery), deadline).catch(() => undefined);
        run.status = final?.status ?? 'stuck';
        run.warnings = final?.warnings ?? [];
        ended += 1;
        log(
          `${ended}/${total} ${plan.releaseId} → ${run.status}${run.status === expected ? '' : ` (expected ${expected})`}; ${kills} kills`,
        );
      }
    };
    const drivers = Promise.all(names.map(drive));

    // ---- Temporal killed and restarted on its data, once a third of the releases ended
    const temporalOutage = (async () => {
      while (ended < Math.ceil(total / 3) && Date.now() < deadline) await sleep(250);
      outage.running = true;
      log('SIGKILL the Temporal dev server');
      const down = Date.now();
      await server.sigkill();
      await sleep(5_000);
      await server.start();
      outage = { done: true, running: false, downMs: Date.now() - down };
      log(`Temporal back after ${outage.downMs} ms, on the same database`);
    })();

    // ---- hostile requests, while all this goes on
    const targets = {
      service: names[0]!,
      project: w.service(names[0]!).project,
      webhookSecret: WEBHOOK_SECRET,
      tokens: API_TOKENS,
    };
    const hostile: HostileOutcome[] = [];
    await sleep(2_000);
    hostile.push(await sendHostile(api.url, hostileRequests(targets)));
    log(`hostile round 1: ${JSON.stringify({ ...hostile[0], examples: undefined, wrongByKind: undefined })}`);
    await temporalOutage;
    for (let round = 1; round < OPTIONS.hostileRounds; round++) {
      await sleep(1_000);
      hostile.push(await sendHostile(api.url, hostileRequests(targets)));
      log(
        `hostile round ${round + 1}: ${JSON.stringify({ ...hostile.at(-1), examples: undefined, wrongByKind: undefined })}`,
      );
    }

    await drivers;
    // Enough kills even if the releases were quick: keep killing while idle workers poll.
    while (kills < OPTIONS.minKills && Date.now() < deadline) await sleep(250);
    stopKilling = true;
    await killer;
    w.gitlab.http.clearFaults();
    w.slack.http.clearFaults();

    // ---- counting
    const known = new Set(runs.map((r) => r.releaseId));
    const unexpected: string[] = [];
    for await (const wf of client.workflow.list()) {
      const lock = wf.workflowId.startsWith('service-lock/');
      if (!known.has(wf.workflowId) && !lock) unexpected.push(wf.workflowId);
      // A lock workflow cancelled or terminated from outside strands every release queued on it.
      if (lock && (wf.status.name === 'CANCELLED' || wf.status.name === 'TERMINATED')) {
        unexpected.push(`${wf.workflowId} ${wf.status.name.toLowerCase()}`);
      }
    }
    const duplicates = countDuplicates({
      commits: await w.infra.log(),
      gitlab: w.gitlab,
      projects: w.services.map((s) => s.project),
      mergeRequestIid: MERGE_REQUEST_IID,
      slack: w.slack,
      channels: [RELEASES_CHANNEL.id, APPROVALS_CHANNEL.id],
    });
    const secrets = [
      FAKE_GITLAB_TOKEN,
      DEFAULT_FAKE_SLACK_TOKEN,
      w.argocd.token,
      WEBHOOK_SECRET,
      ...Object.values(API_TOKENS),
    ];
    const logs = ['workers.log', 'api.log', 'temporal.log'].map((name) => ({
      name,
      text: readFileSync(path.join(DATA, name), 'utf8'),
    }));
    const { leaks, historiesScanned } = await findLeaks(secrets, logs, client);
    const sum = (k: keyof HostileOutcome) => hostile.reduce((n, h) => n + (h[k] as number), 0);
    const result = {
      options: OPTIONS,
      durationS: Math.round((Date.now() - started) / 1000),
      releases: runs.length,
      endedRight: runs.filter((r) => r.status === r.expected).length,
      wrongStatuses: runs
        .filter((r) => r.status !== r.expected)
        .map((r) => `${r.releaseId}: ${r.status} (expected ${r.expected})`),
      byExpected: Object.fromEntries(
        ['succeeded', 'rolled_back', 'rejected'].map((s) => [s, runs.filter((r) => r.expected === s).length]),
      ),
      warnings: runs.flatMap((r) => (r.warnings ?? []).map((w) => `${r.releaseId}: ${w}`)),
      workerKills: kills,
      workerProcesses: spawned,
      temporalRestart: outage,
      faults: { gitlab: w.gitlab.http.injected, slack: w.slack.http.injected },
      lostReplies: { gitlab: w.gitlab.http.lostReplies.length, slack: w.slack.http.lostReplies.length },
      duplicates,
      crashes: { workers: workers.filter((h) => h.crashed()).length, temporal: server.crashes },
      hostile: {
        sent: sum('sent'),
        serverErrors: sum('serverErrors'),
        wronglyAccepted: sum('wronglyAccepted'),
        hangs: sum('hangs'),
        sideEffects: unexpected,
        wrongByKind: hostile.reduce<Record<string, number>>((all, h) => {
          for (const [kind, n] of Object.entries(h.wrongByKind)) all[kind] = (all[kind] ?? 0) + n;
          return all;
        }, {}),
        examples: [...new Set(hostile.flatMap((h) => h.examples))].slice(0, 40),
      },
      leaks,
      historiesScanned,
    };
    writeFileSync(path.join(DATA, 'result.json'), JSON.stringify(result, null, 2));
    console.log(JSON.stringify(result, null, 2));
    const bad =
      result.wrongStatuses.length +
      Object.values<number>({ ...duplicates }).reduce((a, b) => a + b, 0) +
      result.crashes.workers +
      result.crashes.temporal +
      result.hostile.serverErrors +
      result.hostile.wronglyAccepted +
      result.hostile.hangs +
      unexpected.length +
      leaks.length;
    log(bad === 0 ? 'all counts right' : `${bad} wrong counts`);
    process.exitCode = bad === 0 ? 0 : 1;
  } finally {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
  }
}

const quietBundler = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };

main().then(
  () => process.exit(),
  (err: unknown) => {
    console.error('chaos run failed:', err);
    process.exit(2);
  },
);
