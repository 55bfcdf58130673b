// Everything a process needs before it can run Runway's worker: the SDK runtime (logs into pino, SDK
// metrics exporter), a Temporal client, the search attributes, the activity dependencies and the worker.
// Shared by the worker process (worker/main.ts) and `make dev` (scripts/dev-runway.ts).
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString, type Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { RunwayConfig } from '../config/schema.js';
import { temporalMetricsAddress, temporalMetricsTelemetry } from '../platform/temporal-metrics.js';
import { temporalLogger } from '../platform/temporal-logger.js';
import { connectionOptions } from '../platform/temporal-connection-options.js';
import { createRunwayWorker } from './create-worker.js';
import { assertIntegrations, buildDeps, type StandIns } from './deps.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { assertNoRetiredPatchRuns } from './retired-patch-guard.js';
import type { RetiredPatchRunsOptions } from '../platform/retired-patch-runs.js';
import { startWatchers } from './watchers.js';

export interface BootedWorker {
  worker: Worker;
  client: Client;
  /** Where the SDK's own Prometheus exporter listens (loopback). */
  sdkMetrics: ReturnType<typeof temporalMetricsAddress>;
  close: () => Promise<void>;
}

/** `standIns` only from tests, the bench or the sandbox; a real config gets the real clients or is refused. */
export async function bootWorker(
  config: RunwayConfig,
  log: Logger,
  standIns: StandIns = {},
  /** Tests only: a later cutoff than the registry's, so runs they just started count as old. */
  guard: Pick<RetiredPatchRunsOptions, 'cutoff'> = {},
): Promise<BootedWorker> {
  assertIntegrations(config, standIns); // before any connection: a refused config fails at once
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
  // Before polling: a run that needs a retired patch's old path would fail every task on this version.
  await assertNoRetiredPatchRuns(client, log, { taskQueue: config.temporal.taskQueue, ...guard }).catch(
    async (err: unknown) => {
      await connection.close();
      throw err;
    },
  );

  const deps = buildDeps(config, client, standIns);
  const nativeConnection = await NativeConnection.connect(options);
  const worker = await createRunwayWorker({
    connection: nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: { ...deps, logger: log },
  });
  // Between releases: one watcher per Argo CD instance (a watcher that cannot start is not worth refusing the worker).
  await startWatchers(client, config, log).catch((err: unknown) => {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'watchers not started');
  });
  return {
    worker,
    client,
    sdkMetrics,
    close: async () => {
      await nativeConnection.close();
      await connection.close();
    },
  };
}
