// The floor beside Runway, in the same run on the same dev server: bare workflows with as many sequential
// no-op steps as a release has activities, once through the task queue and once as local activities. One at a
// time (latency) and N at once (throughput, worker memory), measured the way Runway's releases are.
import os from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { forkTs, nextMessage, ROOT, stopChild } from './children.js';
import { FLOOR_TASK_QUEUE } from './floor-activities.js';
import { memoryOf } from './procs.js';
import { percentile } from './stats.js';

export interface FloorKind {
  /** Start → close of one workflow alone, p50 over the solo runs (ms). */
  soloP50: number;
  soloP99: number;
  /** Workflows closed per minute, N started at once. */
  perMinute: number;
  completed: number;
}

export interface Floor {
  steps: number;
  burst: number;
  remote: FloorKind;
  local: FloorKind;
  /** The floor worker's peak RSS (VmHWM) after both bursts, bytes. */
  workerPeak: number;
  /** os.loadavg() before and after the floor runs. */
  load: { before: number[]; after: number[] };
}

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };

export async function runFloor(options: {
  client: Client;
  address: string;
  dataDir: string;
  steps: number;
  solo: number;
  burst: number;
  log: (message: string) => void;
}): Promise<Floor> {
  const { client, steps } = options;
  const load = { before: os.loadavg(), after: [] as number[] };
  const bundlePath = path.join(options.dataDir, 'floor-bundle.js');
  const workflowsPath = path.join(ROOT, 'bench/floor-workflows.ts');
  writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath, logger: quiet })).code);
  const worker = forkTs('bench/floor-worker.ts');
  const ready = nextMessage<{ type: string }>(worker, (m) => m.type === 'ready', 120_000);
  worker.send({ type: 'start', address: options.address, bundlePath });
  await ready;

  const run = Date.now().toString(36);
  let seq = 0;
  /** One floor workflow: ms from `start` answered to the server's close time. */
  const one = async (type: string): Promise<{ tookMs: number; closedAt: number } | undefined> => {
    const handle = await client.workflow.start(type, {
      taskQueue: FLOOR_TASK_QUEUE,
      workflowId: `floor-${run}-${seq++}`,
      args: [steps],
    });
    const startedAt = Date.now();
    try {
      await handle.result();
    } catch {
      return undefined;
    }
    const closedAt = (await handle.describe()).closeTime?.getTime() ?? Date.now();
    return { tookMs: closedAt - startedAt, closedAt };
  };
  const measure = async (type: string): Promise<FloorKind> => {
    await one(type); // warm-up, not counted
    const solo: number[] = [];
    for (let i = 0; i < options.solo; i++) {
      const r = await one(type);
      if (r) solo.push(r.tookMs);
    }
    const sentAt = Date.now();
    const all = await Promise.all(Array.from({ length: options.burst }, () => one(type)));
    const done = all.filter((r) => r !== undefined);
    const lastClose = Math.max(...done.map((r) => r.closedAt), sentAt + 1);
    return {
      soloP50: percentile(solo, 50),
      soloP99: percentile(solo, 99),
      perMinute: (done.length / (lastClose - sentAt)) * 60_000,
      completed: done.length,
    };
  };
  options.log(`floor: ${steps}-step bare workflows, remote activities`);
  const remote = await measure('floorRemoteWorkflow');
  options.log(`floor: ${steps}-step bare workflows, local activities`);
  const local = await measure('floorLocalWorkflow');
  const workerPeak = memoryOf(worker.pid!)?.peak ?? NaN;
  worker.send({ type: 'stop' });
  await stopChild(worker, 20_000);
  load.after = os.loadavg();
  return { steps, burst: options.burst, remote, local, workerPeak, load };
}
