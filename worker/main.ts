// The Runway worker process: load config, connect to Temporal, register search attributes, run.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { loadRuntimeConfig } from '../config/runtime.js';
import { createLogger } from '../platform/logger.js';
import { connectionOptions } from './connection.js';
import { buildDeps } from './deps.js';
import { createRunwayWorker } from './create-worker.js';
import { ensureSearchAttributes } from './search-attributes.js';

const log = createLogger('runway-worker');

async function main(): Promise<void> {
  const { config, path, sandbox } = loadRuntimeConfig();
  Runtime.install({ telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } } });
  const options = connectionOptions(config.temporal);
  const connection = await Connection.connect(options);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const added = await ensureSearchAttributes(connection, config.temporal.namespace);
  if (added.length) log.info({ added }, 'registered search attributes');

  const { deps, simulated } = buildDeps(config, client);
  const nativeConnection = await NativeConnection.connect(options);
  const worker = await createRunwayWorker({
    connection: nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps,
  });
  log.info(
    { config: path, sandbox, simulated, taskQueue: config.temporal.taskQueue, services: Object.keys(config.services) },
    'runway worker started',
  );
  await worker.run();
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
