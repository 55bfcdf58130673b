// The floor's worker, alone in its own process like Runway's (bench/worker-process.ts), with default worker
// options, so its memory and CPU compare with Runway's worker.
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { FLOOR_TASK_QUEUE, floorActivities } from './floor-activities.js';
import type { ToWorker } from './config.js';

async function main(address: string, bundlePath: string): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue: FLOOR_TASK_QUEUE,
    workflowBundle: { codePath: bundlePath },
    activities: floorActivities,
  });
  const stop = () => worker.getState() === 'RUNNING' && worker.shutdown();
  process.on('message', (m: ToWorker) => m.type === 'stop' && stop());
  process.on('disconnect', stop); // never outlive the driver
  const running = worker.run();
  process.send?.({ type: 'ready' });
  await running;
  await connection.close();
}

process.once('message', (m: ToWorker) => {
  if (m.type !== 'start') return;
  main(m.address, m.bundlePath).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('floor worker failed:', err);
      process.exit(1);
    },
  );
});
