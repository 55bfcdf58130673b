// The Runway worker process: load config, connect to Temporal, register search attributes, run.
import { ConfigError } from '../config/load.js';
import { loadProductionConfig } from '../config/runtime.js';
import { createLogger } from '../platform/logger.js';
import { metricsRegistry, joinExpositions } from '../platform/metrics.js';
import { metricsServerAddress, startMetricsServer } from '../platform/metrics-server.js';
import { fetchTemporalMetrics } from '../platform/temporal-metrics.js';
import { bootWorker } from './boot.js';

const log = createLogger('runway-worker');

async function main(): Promise<void> {
  const { config, path } = loadProductionConfig();
  const { worker, sdkMetrics, close } = await bootWorker(config, log);
  // One scrape target: Runway's metrics plus the SDK's (its exporter listens on loopback only).
  const metricsServer = await startMetricsServer({
    ...metricsServerAddress(),
    metrics: async () => joinExpositions([await metricsRegistry().metrics(), await fetchTemporalMetrics(sdkMetrics)]),
    health: () => ({ ok: !['FAILED', 'STOPPED'].includes(worker.getState()), worker: worker.getState() }),
  });
  log.info(
    {
      config: path,
      taskQueue: config.temporal.taskQueue,
      services: Object.keys(config.services),
      metrics: `${metricsServer.url}/metrics`,
    },
    'runway worker started',
  );
  await worker.run();
  await metricsServer.close();
  await close();
}

main().catch((err: unknown) => {
  // A config problem is for a person: every problem as plain lines on stderr, not one JSON string.
  if (err instanceof ConfigError) {
    process.stderr.write(`\nrunway cannot start: ${err.message}\n\n`);
    process.exit(1);
  }
  log.error(
    { err: err instanceof Error ? { name: err.name, message: err.message } : String(err) },
    'worker failed to start',
  );
  process.exit(1);
});
