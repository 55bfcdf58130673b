// A Runway worker alone in its own process, wired to a world of fakes in the parent (chaos/world-ports.ts), so
// the parent can SIGKILL it at any point. Logs (pino, JSON) go to stdout, which the parent keeps to grep for
// secrets. Started with `fork` and one IPC `start` message; answers `ready` once polling.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createLogger } from '../platform/logger.js';
import { createRunwayWorker } from '../worker/create-worker.js';
import { portsFor, type WorldAddress } from './world-ports.js';

export interface WorkerProcessStart {
  type: 'start';
  address: string;
  taskQueue: string;
  bundlePath: string;
  world: WorldAddress;
}

async function main(start: WorkerProcessStart): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const logger = createLogger('runway-worker', 'info');
  const connection = await Connection.connect({ address: start.address });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: start.address });
  const worker = await createRunwayWorker({
    connection: native,
    namespace: 'default',
    taskQueue: start.taskQueue,
    deps: { ...portsFor(start.world), temporal: client, taskQueue: start.taskQueue, logger },
    workflowBundle: { codePath: start.bundlePath },
    // Small, so a kill lands while several tasks are in flight but the 2 shared cores are not swamped.
    overrides: { maxConcurrentActivityTaskExecutions: 20, shutdownGraceTime: '1s' },
  });
  const stop = () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  process.on('disconnect', stop); // never outlive the parent
  const running = worker.run();
  process.send?.({ type: 'ready' });
  await running;
  await native.close();
  await connection.close();
}

process.once('message', (m: WorkerProcessStart) => {
  if (m.type !== 'start') return;
  main(m).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('chaos worker failed:', err);
      process.exit(1);
    },
  );
});
