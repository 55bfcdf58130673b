// `make dev`'s Runway process: worker + API in one process. With no runway.yaml (and no RUNWAY_CONFIG) it
// first starts the sandbox (fake GitLab, Argo CD, Slack, registry and a real local infra git repo) and
// points Runway's real clients at it.
import { ConfigError } from '../config/load.js';
import { loadRuntimeConfig } from '../config/runtime.js';
import type { RunwayConfig } from '../config/schema.js';
import { createApp, type AppPlugins } from '../api/app.js';
import type { ApiContext } from '../api/context.js';
import { ReleaseService } from '../api/release-service.js';
import { TemporalAvailability } from '../api/temporal-availability.js';
import { apiConnection } from '../api/temporal-connection.js';
import { Client } from '@temporalio/client';
import { listen } from '../api/server.js';
import { startMergeReconciler } from '../api/reconcile/start.js';
import { createSlackRoutes } from '../api/slack/routes.js';
import { createLogger } from '../platform/logger.js';
import { joinExpositions, metricsRegistry } from '../platform/metrics.js';
import { metricsServerAddress, startMetricsServer, type MetricsServer } from '../platform/metrics-server.js';
import { fetchTemporalMetrics } from '../platform/temporal-metrics.js';
import { startSandbox, type Sandbox } from '../sandbox/start.js';
import { sandboxConfig } from '../sandbox/config.js';
import { sandboxRoutes } from '../sandbox/slack-page.js';
import { sandboxPortsFromEnv } from '../sandbox/overlay.js';
import { bootWorker } from '../worker/boot.js';
import { banner } from './dev-banner.js';

const log = createLogger('runway');

async function main(): Promise<void> {
  const runtime = loadRuntimeConfig();
  let config: RunwayConfig = runtime.config;
  let sandbox: Sandbox | undefined;
  if (runtime.sandbox) {
    const port = process.env.RUNWAY_PORT ? apiPort(process.env.RUNWAY_PORT) : config.server.port;
    sandbox = await startSandbox({
      dataDir: process.env.RUNWAY_SANDBOX_DIR ?? '.data/sandbox',
      ports: sandboxPortsFromEnv(),
      onError: (err) => log.warn({ err }, 'sandbox problem'),
      // The sandbox GitLab's webhook and the Argo CD page's link follow RUNWAY_PORT.
      runwayUrl: process.env.RUNWAY_PUBLIC_URL ?? `http://localhost:${port}`,
    });
    config = sandboxConfig(sandbox.configOverlay);
    if (process.env.RUNWAY_PORT)
      config = { ...config, server: { ...config.server, port: apiPort(process.env.RUNWAY_PORT) } };
  }

  const { worker, sdkMetrics, close } = await bootWorker(config, log);

  const publicUrl = process.env.RUNWAY_PUBLIC_URL ?? `http://localhost:${config.server.port}`;
  // The API's own connection (lazy, no SDK retries: every API call has a deadline); the worker keeps its own.
  const apiClient = new Client({ connection: apiConnection(config.temporal), namespace: config.temporal.namespace });
  const ctx: ApiContext = {
    config,
    client: apiClient,
    releases: new ReleaseService(apiClient, config, new TemporalAvailability(apiClient, log)),
    logger: log,
    publicUrl,
  };
  // Worker and API share this process and its metrics registry: the API's /metrics shows both, plus the SDK's.
  const plugins: AppPlugins = {
    slack: await createSlackRoutes(ctx),
    extraMetrics: () => fetchTemporalMetrics(sdkMetrics),
  };
  if (sandbox && config.slack?.signingSecret) {
    plugins.sandbox = sandboxRoutes(sandbox, {
      signingSecret: config.slack.signingSecret,
      interactionsUrl: `http://127.0.0.1:${config.server.port}/slack/interactions`,
    });
  }
  const server = await listen(createApp(ctx, plugins), config.server).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE') throw err;
    const how = runtime.sandbox ? 'set RUNWAY_PORT=<free port>' : `change server.port in ${runtime.path}`;
    throw new Error(`the API's port ${config.server.port} on ${config.server.host} is already in use; ${how}`);
  });
  const reconciler = startMergeReconciler(ctx);
  // The worker's own metrics server only when asked for (RUNWAY_METRICS_PORT), on loopback.
  let metricsServer: MetricsServer | undefined;
  if (process.env.RUNWAY_METRICS_PORT) {
    metricsServer = await startMetricsServer({
      ...metricsServerAddress(process.env, { host: '127.0.0.1', port: 9464 }),
      metrics: async () => joinExpositions([await metricsRegistry().metrics(), await fetchTemporalMetrics(sdkMetrics)]),
    });
  }

  const temporalUi = `http://localhost:${process.env.TEMPORAL_UI_PORT ?? '8233'}`;
  const startedAt = Number(process.env.RUNWAY_DEV_START_MS);
  process.stdout.write(
    banner({
      api: publicUrl,
      temporalUi,
      sandbox: runtime.sandbox,
      configPath: runtime.path,
      services: Object.keys(config.services),
      readyAfterMs: Number.isFinite(startedAt) && startedAt > 0 ? Date.now() - startedAt : undefined,
      webhookSecret: config.gitlab?.webhookSecret,
      gitlabUrl: sandbox?.configOverlay.gitlab.url,
    }),
  );
  log.info(
    {
      api: publicUrl,
      temporalUi,
      slackPage: sandbox ? `${publicUrl}/sandbox/slack` : undefined,
      config: runtime.sandbox ? 'sandbox' : runtime.path,
      services: Object.keys(config.services),
      metrics: `${publicUrl}/metrics`,
    },
    'runway is up',
  );
  const stop = () => {
    worker.shutdown();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await worker.run();
  reconciler?.stop();
  await server.close();
  await metricsServer?.close();
  await sandbox?.close();
  await apiClient.connection.close();
  await close();
}

function apiPort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`RUNWAY_PORT=${value} is not a port number`);
  return port;
}

main().catch((err: unknown) => {
  // A config problem is text for a person: print it as is, not as a JSON blob.
  if (err instanceof ConfigError || (err instanceof Error && /port|RUNWAY_/.test(err.message))) {
    process.stderr.write(`\nrunway cannot start: ${err.message}\n\n`);
    process.exit(1);
  }
  log.error(
    { err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) },
    'runway failed to start',
  );
  process.exit(1);
});
