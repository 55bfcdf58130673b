// The Runway worker process: load config, connect to Temporal, register search attributes, run.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { loadRuntimeConfig } from '../config/runtime.js';
import { createLogger } from '../platform/logger.js';
import { metricsRegistry, joinExpositions } from '../platform/metrics.js';
import { metricsServerAddress, startMetricsServer } from '../platform/metrics-server.js';
import {
  fetchTemporalMetrics,
  temporalMetricsAddress,
  temporalMetricsTelemetry,
} from '../platform/temporal-metrics.js';
import { temporalLogger } from '../platform/temporal-logger.js';
import { connectionOptions } from './connection.js';
import { buildDeps } from './deps.js';
import { createRunwayWorker } from './create-worker.js';
import { ensureSearchAttributes } from './search-attributes.js';

const log = createLogger('runway-worker');

async function main(): Promise<void> {
  const { config, path, sandbox } = loadRuntimeConfig();
  const sdkMetrics = temporalMetricsAddress();
  Runtime.install({
    logger: temporalLogger(log.child({ component: 'temporal-sdk' })),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      metrics: temporalMetricsTelemetry(sdkMetrics),
    },
  });
  const options = connectionOptions(config.temporal);
  const connection = await Connection.connect(options);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const added = await ensureSearchAttributes(connection, config.temporal.namespace);
  if (added.length) log.info({ added }, 'registered search attributes');

  const built = buildDeps(config, client);
  const deps = { ...built.deps, logger: log };
  const simulated = built.simulated;
  const nativeConnection = await NativeConnection.connect(options);
  const worker = await createRunwayWorker({
    connection: nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps,
  });
  // One scrape target: Runway's metrics plus the SDK's (its exporter listens on loopback only).
  const metricsServer = await startMetricsServer({
    ...metricsServerAddress(),
    metrics: async () => joinExpositions([await metricsRegistry().metrics(), await fetchTemporalMetrics(sdkMetrics)]),
    health: () => ({ ok: !['FAILED', 'STOPPED'].includes(worker.getState()), worker: worker.getState() }),
  });
  log.info(
    {
      config: path,
      sandbox,
      simulated,
      taskQueue: config.temporal.taskQueue,
      services: Object.keys(config.services),
      metrics: `${metricsServer.url}/metrics`,
    },
    'runway worker started',
  );
  await worker.run();
  await metricsServer.close();
  await nativeConnection.close();
  await connection.close();
}

main().catch((err: unknown) => {
  log.error(
    { err: err instanceof Error ? { name: err.name, message: err.message } : String(err) },
    'worker failed to start',
  );
  process.exit(1);
});
