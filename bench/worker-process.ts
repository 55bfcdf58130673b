// The Runway worker under test, alone in its own process so its memory and CPU can be measured.
// Same wiring as worker/main.ts, with instant fakes: every image is already built, rollouts turn
// Healthy at once (progressMs 0), Slack posts nothing. Tells the driver when a release asks for approval.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createMemoryWorld, seedMemoryInfra } from '../fakes/memory-world.js';
import type { NotifierPort, RegistryPort } from '../activities/ports.js';
import { parseConfig } from '../config/load.js';
import { createRunwayWorker } from '../worker/create-worker.js';

import type { FromWorker, ToWorker, WorkerStart } from './config.js';

const send = (message: FromWorker) => process.send?.(message);

async function main(start: WorkerStart): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const config = parseConfig(start.configYaml, {});
  const taskQueue = config.temporal.taskQueue;
  const connection = await Connection.connect({ address: start.address });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: start.address });

  const world = createMemoryWorld({ progressMs: 0 });
  seedMemoryInfra(world, config);
  const registry: RegistryPort = { imageExists: async () => ({ exists: true, digest: `sha256:${'0'.repeat(64)}` }) };
  let posted = 0;
  // Keeps nothing: the memory world's notifier stores every message, which would count against the worker.
  const notifier: NotifierPort = {
    async publish(n) {
      if (n.kind === 'approval_requested') {
        send({ type: 'approval', releaseId: n.timeline.releaseId, environment: n.environment ?? '', at: Date.now() });
      }
      return { messageRef: n.messageRef ?? { channel: n.channel ?? '#releases', ts: `${++posted}.000100` } };
    },
  };

  const worker = await createRunwayWorker({
    connection: native,
    namespace: 'default',
    taskQueue,
    deps: { ...world.ports, registry, notifier, temporal: client, taskQueue },
    workflowBundle: { codePath: start.bundlePath },
    overrides: start.overrides,
  });
  const stop = () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  process.on('message', (m: ToWorker) => m.type === 'stop' && stop());
  process.on('disconnect', stop); // never outlive the driver
  const running = worker.run();
  const memory = setInterval(
    () => send({ type: 'memory', rss: process.memoryUsage().rss, cached: worker.getStatus().numCachedWorkflows }),
    250,
  );
  send({ type: 'ready' });
  await running;
  clearInterval(memory);
  await native.close();
  await connection.close();
}

process.once('message', (m: ToWorker) => {
  if (m.type !== 'start') return;
  main(m).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('bench worker failed:', err);
      process.exit(1);
    },
  );
});
