// Starts worker processes (chaos/worker-process.ts) and kills them with SIGKILL: no shutdown, no flush, no
// goodbye to the server, as the OOM killer or a node failure would.
import { fork, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerProcessStart } from './worker-process.js';
import type { WorldAddress } from './world-ports.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface WorkerSpec {
  address: string;
  taskQueue: string;
  bundlePath: string;
  world: WorldAddress;
  /** stdout and stderr are appended here (kept for the secret scan). */
  logFile: string;
}

export interface WorkerHandle {
  child: ChildProcess;
  /** Resolves once the worker polls. */
  ready: Promise<void>;
  /** True once the worker polls. */
  isReady(): boolean;
  /** Set when the process exited without being killed by us: a crash. */
  crashed(): boolean;
  sigkill(): Promise<void>;
}

export function startWorkerProcess(spec: WorkerSpec): WorkerHandle {
  const log = openSync(spec.logFile, 'a');
  const child = fork(path.join(ROOT, 'chaos/worker-process.ts'), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', log, log, 'ipc'],
  });
  let killed = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready`)));
  });
  let isReady = false;
  ready.then(
    () => (isReady = true),
    () => undefined,
  );
  const start: WorkerProcessStart = {
    type: 'start',
    address: spec.address,
    taskQueue: spec.taskQueue,
    bundlePath: spec.bundlePath,
    world: spec.world,
  };
  child.send(start);
  return {
    child,
    ready,
    isReady: () => isReady && child.exitCode === null && child.signalCode === null,
    crashed: () => !killed && child.exitCode !== null && child.exitCode !== 0,
    async sigkill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killed = true;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
