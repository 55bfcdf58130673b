// `npm run bench` (second part) — a busy day: 50 services merged within a minute, approvals pressed while they
// run, a dashboard polling every release's status every second, GitLab and Slack answering in 300 ms, Slack's
// published rate limits enforced by its fake. One real worker process (real GitLab/Slack/Argo CD/registry
// clients over loopback HTTP), the real API in this process. Writes docs/burst.md; exits 0 whatever the figures.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import * as prettier from 'prettier';
import { createApp } from '../api/app.js';
import { ReleaseService } from '../api/release-service.js';
import { listen } from '../api/server.js';
import { TemporalAvailability } from '../api/temporal-availability.js';
import { apiConnection } from '../api/temporal-connection.js';
import { worldConfigYaml } from '../chaos/world-config.js';
import { startApiProcess } from '../chaos/api-process.js';
import { freePort } from '../platform/free-port.js';
import { startWorkerProcess, type WorkerHandle } from '../chaos/workers.js';
import { parseConfig } from '../config/load.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';
import { peakPerMinute, SLACK_METHOD_TIERS, TIER_PER_MINUTE } from '../fakes/slack-rate-limits.js';
import { createLogger } from '../platform/logger.js';
import { mergeHook } from '../test/support/api-harness.js';
import {
  MERGE_REQUEST_IID,
  RELEASES_CHANNEL,
  createIntegrationWorld,
  worldAddress,
} from '../test/support/integration-world.js';
import { temporalExecutable } from '../test/support/temporal-cli.js';
import { WORKFLOWS_PATH } from '../worker/create-worker.js';
import { cleanUp, onCleanup, ROOT } from './children.js';
import { ms, percentile } from './stats.js';

const SERVICES = Number(process.env.BURST_SERVICES ?? 50);
const MERGE_WINDOW_MS = Number(process.env.BURST_WINDOW_S ?? 60) * 1000;
const UPSTREAM_LATENCY_MS = 300;
const WORKERS = Number(process.env.BURST_WORKERS ?? 1);
const APIS = Number(process.env.BURST_APIS ?? 1);
const DEADLINE_MS = Number(process.env.BURST_DEADLINE_S ?? 900) * 1000;
const DATA = path.join(ROOT, '.data/burst');
const OUTPUT = path.join(ROOT, WORKERS > 1 || APIS > 1 ? 'docs/burst-scaled.md' : 'docs/burst.md');
const WEBHOOK_SECRET = `burst-${randomUUID()}`;
const TOKENS = { reader: `r-${randomUUID()}`, deployer: `d-${randomUUID()}`, approver: `a-${randomUUID()}` };
const ENDED = new Set([
  'succeeded',
  'failed',
  'rolled_back',
  'rollback_failed',
  'rejected',
  'expired',
  'superseded',
  'cancelled',
]);

const log = (m: string) => console.log(`[burst ${new Date().toISOString().slice(11, 19)}] ${m}`);
const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };

interface Call {
  route: string;
  status: number;
  ms: number;
  error?: string;
}

async function main(): Promise<void> {
  rmSync(DATA, { recursive: true, force: true });
  mkdirSync(DATA, { recursive: true });
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const loadAtStart = os.loadavg();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: temporalExecutable(),
      searchAttributes: [...RUNWAY_SEARCH_ATTRIBUTES],
      extraArgs: [
        ...['--log-level', 'error'],
        ...['--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true'],
        ...['--dynamic-config-value', 'system.enableActivityEagerExecution=true'],
      ],
    },
  });
  onCleanup(() => env.teardown());

  const names = Array.from(
    { length: SERVICES },
    (_, i) => `burst${String(i).padStart(2, '0')}-${randomUUID().slice(0, 4)}`,
  );
  log(`world: ${SERVICES} services; GitLab and Slack answer in ${UPSTREAM_LATENCY_MS} ms; Slack rate limits on`);
  const world = await createIntegrationWorld({
    services: names,
    slackRateLimits: true,
    argocdTiming: { pickupMs: 50, operationMs: 300, healthyAfterMs: 1_500 },
  });
  onCleanup(() => world.close());
  for (const fake of [world.gitlab.http, world.slack.http]) fake.setLatency(UPSTREAM_LATENCY_MS);

  const bundlePath = path.join(DATA, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet })).code);
  const taskQueue = `burst-${randomUUID().slice(0, 8)}`;
  const yaml = worldConfigYaml(world, {
    taskQueue,
    temporalAddress: env.address,
    webhookSecret: WEBHOOK_SECRET,
    tokens: TOKENS,
    reconcile: false,
    timing: '{ pollInterval: 500ms, heartbeatTimeout: 10s, retryInitialInterval: 500ms }',
  });
  const config = parseConfig(yaml, {});
  // One API: in this process, as api/main.ts builds it (lazy connection without SDK retries, availability from
  // the connection). More: api/main.ts processes, each with its own port; the dashboard takes turns.
  const apiUrls: string[] = [];
  if (APIS <= 1) {
    const apiLog = createLogger('burst-api', 'silent');
    const client = new Client({ connection: apiConnection(config.temporal), namespace: config.temporal.namespace });
    const releases = new ReleaseService(client, config, new TemporalAvailability(client, apiLog));
    const app = createApp({ config, client, releases, logger: apiLog, publicUrl: 'http://runway.burst' });
    const api = await listen(app, { host: '127.0.0.1', port: 0 });
    onCleanup(() => api.close());
    apiUrls.push(api.url);
  } else {
    for (let n = 0; n < APIS; n++) {
      const port = await freePort();
      const configPath = path.join(DATA, `runway-${n}.yaml`);
      writeFileSync(configPath, yaml.replace(/^api:/m, `server: { host: 127.0.0.1, port: ${port} }\napi:`));
      const api = startApiProcess({ configPath, port, logFile: path.join(DATA, `api-${n}.log`) });
      onCleanup(() => api.stop());
      await api.ready;
      apiUrls.push(api.url);
    }
  }

  const workers: WorkerHandle[] = [];
  for (let n = 0; n < WORKERS; n++) {
    const address = worldAddress(world, path.join(DATA, `infra-cache-${n}`));
    const worker = startWorkerProcess({
      address: env.address,
      taskQueue,
      bundlePath,
      world: address,
      logFile: path.join(DATA, `worker-${n}.log`),
    });
    onCleanup(() => worker.sigkill());
    workers.push(worker);
  }
  await Promise.all(workers.map((w) => w.ready));

  const calls: Call[] = [];
  let turn = 0;
  const call = async (
    route: string,
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const started = performance.now();
    try {
      const r = await fetch(`${apiUrls[turn++ % apiUrls.length]}${url}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const json = (await r.json().catch(() => ({}))) as Record<string, unknown>;
      const code = (json.error as { code?: string } | undefined)?.code;
      const error = r.status >= 400 ? `\`${code ?? JSON.stringify(json).slice(0, 200)}\`` : undefined;
      calls.push({ route, status: r.status, ms: performance.now() - started, ...(error ? { error } : {}) });
      return { status: r.status, json };
    } catch (err) {
      calls.push({ route, status: 0, ms: performance.now() - started, error: (err as Error).message });
      return { status: 0, json: {} as Record<string, unknown> };
    }
  };
  const read = { authorization: `Bearer ${TOKENS.reader}` };
  const approve = { authorization: `Bearer ${TOKENS.approver}` };

  const ids = new Map<string, string>(); // service → release id
  const status = new Map<string, string>();
  const approved = new Set<string>();
  const burstStart = Date.now();
  log(`${SERVICES} merges over ${MERGE_WINDOW_MS / 1000} s, a dashboard polling every second`);

  // Merges: evenly over the window, through the webhook.
  const merging = (async () => {
    for (const [i, service] of names.entries()) {
      await sleep(Math.max(0, burstStart + (i * MERGE_WINDOW_MS) / SERVICES - Date.now()));
      const sha = randomBytes(20).toString('hex');
      await world.pushImage(service, sha);
      const hook = mergeHook(service, sha, { iid: MERGE_REQUEST_IID });
      const r = await call('POST /webhooks/gitlab', 'POST', '/webhooks/gitlab', hook, {
        'x-gitlab-event': 'Merge Request Hook',
        'x-gitlab-token': WEBHOOK_SECRET,
      });
      if (typeof r.json.releaseId === 'string') ids.set(service, r.json.releaseId);
    }
  })();

  // The dashboard: the release list and every unfinished release's timeline, every second; approvals pressed
  // as soon as the dashboard shows a release waiting for one.
  const deadline = burstStart + DEADLINE_MS;
  const dashboard = (async () => {
    for (;;) {
      const tick = Date.now();
      const open = [...ids.values()].filter((id) => !ENDED.has(status.get(id) ?? ''));
      await Promise.all([
        call('GET /api/releases', 'GET', '/api/releases?limit=50', undefined, read),
        ...open.map(async (id) => {
          const r = await call(
            'GET /api/releases/{id}',
            'GET',
            `/api/releases/${encodeURIComponent(id)}`,
            undefined,
            read,
          );
          if (r.status !== 200 || typeof r.json.status !== 'string') return;
          status.set(id, r.json.status);
          if (r.json.status === 'awaiting_approval' && !approved.has(id)) {
            approved.add(id);
            const a = await call(
              'POST /api/releases/{id}/approve',
              'POST',
              `/api/releases/${encodeURIComponent(id)}/approve`,
              { environment: 'production' },
              approve,
            );
            if (a.status !== 200 && a.status !== 202) approved.delete(id); // asked again next second
          }
        }),
      ]);
      const allEnded = ids.size === SERVICES && [...ids.values()].every((id) => ENDED.has(status.get(id) ?? ''));
      if (allEnded || Date.now() > deadline) return;
      await sleep(Math.max(0, tick + 1000 - Date.now()));
    }
  })();
  await merging;
  await dashboard;
  const burstMs = Date.now() - burstStart;
  log(`burst over in ${(burstMs / 1000).toFixed(0)} s; reading the world`);

  // Effects: one bump per environment, one note, one Slack message per release; Slack calls per minute.
  const infraLog = await world.infra.log();
  const endings = new Map<string, number>();
  let duplicates = 0;
  for (const [service, id] of ids) {
    const s = status.get(id) ?? 'not ended';
    endings.set(s, (endings.get(s) ?? 0) + 1);
    const bumps = infraLog.filter((c) => c.trailers['Runway-Change']?.startsWith(id)).length;
    const notes = world.gitlab
      .notes(world.service(service).project, MERGE_REQUEST_IID)
      .filter((n) => n.body.includes(id)).length;
    const messages = world.slack
      .messages(RELEASES_CHANNEL.id)
      .filter((m) => m.metadata?.event_payload.release_id === id).length;
    if (bumps > 2 || notes > 1 || messages > 1) duplicates += 1;
  }
  // Which worker ran each release's workflow tasks (the identity `pid@host` in its history).
  const perWorker = new Map<string, number>();
  for (const id of ids.values()) {
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    const runners = new Set(
      (history.events ?? []).flatMap((e) => e.workflowTaskStartedEventAttributes?.identity ?? []),
    );
    for (const r of runners) perWorker.set(r.split('@')[0]!, (perWorker.get(r.split('@')[0]!) ?? 0) + 1);
  }
  const spread = workers.map((w) => `pid ${w.child.pid}: ${perWorker.get(String(w.child.pid)) ?? 0}`).join(', ');
  const slackCalls = world.slack.calls().map((c) => ({ method: c.method, at: c.at }));
  const peaks = peakPerMinute(slackCalls);
  const routes = [...new Set(calls.map((c) => c.route))];
  const false503 = calls.filter((c) => c.status === 503).length;
  const refusals = [
    ...new Set(
      calls.filter((c) => c.status >= 400 || c.status === 0).map((c) => `${c.route}: ${c.status} ${c.error ?? ''}`),
    ),
  ];
  const postsPerChannel = new Map<string, { method: string; at: number }[]>();
  for (const c of world.slack.calls('chat.postMessage')) {
    const channel = String(c.args.channel);
    postsPerChannel.set(channel, [...(postsPerChannel.get(channel) ?? []), { method: channel, at: c.at }]);
  }
  const channelRows = [...postsPerChannel].map(
    ([channel, list]) =>
      `| \`${channel}\` | ${list.length} | ${peakPerMinute(list).get(channel) ?? 0} | 60 (1 a second) |`,
  );
  const rows = routes.map((route) => {
    const list = calls.filter((c) => c.route === route);
    const durations = list.map((c) => c.ms);
    const statuses = new Map<string, number>();
    for (const c of list)
      statuses.set(String(c.status || c.error), (statuses.get(String(c.status || c.error)) ?? 0) + 1);
    const p99 = percentile(durations, 99);
    return `| \`${route}\` | ${list.length} | ${ms(percentile(durations, 50))} | ${ms(p99)} | ${ms(Math.max(...durations))} | ${[...statuses].map(([k, n]) => `${n}× ${k}`).join(', ')} | ${p99 < 1000 ? '✅' : '❌'} |`;
  });
  const slackRows = [...peaks].sort().map(([method, peak]) => {
    const tier = SLACK_METHOD_TIERS[method];
    const allowance =
      method === 'chat.postMessage'
        ? '~60 per channel (1/s)'
        : tier
          ? `${TIER_PER_MINUTE[tier]} (Tier ${tier})`
          : 'n/a';
    const total = slackCalls.filter((c) => c.method === method).length;
    return `| \`${method}\` | ${total} | ${peak} | ${allowance} | ${world.slack.rateLimited.get(method) ?? 0} |`;
  });
  const succeeded = endings.get('succeeded') ?? 0;
  const out = `# A busy day (burst)

Generated by \`npm run bench\` (\`npx tsx bench/burst.ts\`; \`BURST_SERVICES\`, \`BURST_WINDOW_S\` change the load) on
${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.availableParallelism()} cores, load average ${loadAtStart.map((l) => l.toFixed(2)).join(' / ')} at the start.

**What runs**: a Temporal dev server; the integration world of fakes over loopback HTTP (GitLab, Slack, Argo CD, a
registry, a git infra repo); **GitLab and Slack answer every request after ${UPSTREAM_LATENCY_MS} ms**, and the Slack fake
enforces Slack's published rate limits (429 + Retry-After; [fakes.md](fakes.md)); ${WORKERS} Runway worker process(es)
with the real clients; ${APIS > 1 ? `${APIS} API processes (\`api/main.ts\`), the dashboard taking turns` : 'the real API (as `api/main.ts` builds it) in the driver'}. ${SERVICES} services are merged
through the GitLab webhook, evenly over ${MERGE_WINDOW_MS / 1000} s. A dashboard reads the release list and every
unfinished release's timeline every second; when a timeline says \`awaiting_approval\`, production is approved through
the REST API at once.

## Outcome

| | |
| --- | --- |
| Releases merged / ended right (\`succeeded\`) | ${ids.size} / ${succeeded} |
| Endings | ${[...endings].map(([k, n]) => `${n}× ${k}`).join(', ')} |
| Releases with a duplicated bump, note or Slack message | ${duplicates} |
| 503 answers (Temporal was up the whole time: each one is false) | ${false503} |
| First merge → last release ended | ${ms(burstMs)} |
| Worker processes / API processes | ${WORKERS} / ${APIS}${APIS > 1 ? ' (api/main.ts)' : ' (in the driver)'} |
| Releases whose workflow tasks each worker ran | ${spread} |

## API routes

| Route | Requests | p50 | p99 | max | Answers | p99 < 1 s |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

## Slack: calls per method against the published limits

Peak = the most calls of the method in any 60-second window (from the fake's call log); the allowance is Slack's
published floor per workspace (chat.postMessage: about one a second per channel).

| Method | Calls | Peak per minute | Allowance per minute | Refused with 429 |
| --- | --- | --- | --- | --- |
${slackRows.join('\n')}

\`chat.postMessage\` per channel:

| Channel | Posts | Peak per minute | Allowance per minute |
| --- | --- | --- | --- |
${channelRows.join('\n')}

${refusals.length ? `Answers other than 2xx (route: status and error code; the counts are in the table above):\n\n${refusals.map((r) => `- ${r}`).join('\n')}\n\n` : ''}Reads (\`conversations.history\` / \`.replies\`) happen only when an earlier attempt may have posted (a retry), so they stay
far below Tier 3; posts and updates are paced in the worker (\`integrations/slack-pacing.ts\`), which is
what stretches the burst when ${SERVICES} releases share two channels: ${SERVICES} releases post about
${(slackCalls.filter((c) => c.method === 'chat.postMessage').length / Math.max(ids.size, 1)).toFixed(1)} messages and make about
${(slackCalls.filter((c) => c.method === 'chat.update').length / Math.max(ids.size, 1)).toFixed(1)} message updates each.
`;
  const options = await prettier.resolveConfig(OUTPUT);
  writeFileSync(OUTPUT, await prettier.format(out, { ...options, filepath: OUTPUT }));
  log(
    `wrote ${path.relative(ROOT, OUTPUT)}: ${succeeded}/${SERVICES} succeeded, ${false503} × 503, duplicates ${duplicates}`,
  );
}

process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
main()
  .catch((err: unknown) => {
    console.error('burst failed:', err);
    process.exitCode = 1;
  })
  .finally(() => cleanUp().then(() => process.exit()));
