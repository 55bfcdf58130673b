// The "Reading the figures" section: what each missed target is made of, in plain words, from the
// measurements (generated, so it follows every re-run).
import type { Breakdown } from './history.js';
import type { BenchData } from './report.js';
import { cores, mb, mean, ms, pct } from './stats.js';

/** Activities per release that only signal the service lock (candidates for local activities). */
const lockCalls = (list: Breakdown[]) =>
  mean(
    list.map((x) =>
      [
        'requestServiceLock',
        'releaseServiceLock',
        'reportApprovalWait',
        'requestEnvironmentLock',
        'releaseEnvironmentLock',
        'reportEnvironmentApprovalWait',
      ].reduce((n, name) => n + (x.byActivity.get(name)?.count ?? 0), 0),
    ),
  );

export /** Plain reading of the figures: what the misses are made of. Generated, so it follows every re-run. */
function conclusions(
  d: BenchData,
  f: { soloP50: number; burstP50: number; perMinute: number; solo: Breakdown[]; burst: Breakdown[]; wall: number },
): string {
  const notes: string[] = [];
  const steps = (list: Breakdown[]) => mean(list.map((x) => x.workflowTasks + x.activities));
  const share = (list: Breakdown[], g: (x: Breakdown) => number) =>
    pct(mean(list.map(g)), mean(list.map((x) => x.total)));
  const queued = (x: Breakdown) => x.wftQueue + x.actQueue;
  if (f.solo.length) {
    const perStep = mean(f.solo.map((x) => x.total)) / steps(f.solo);
    notes.push(
      `- **One release alone** is ${steps(f.solo).toFixed(0)} task round trips in sequence (each activity is an activity task plus the workflow task that reacts to it), ${ms(perStep)} each on average, ${ms(mean(f.solo.map((x) => x.total)))} from workflow start to close${f.soloP50 < 1000 ? ': within the 1 s target.' : `: over the 1 s target. ${share(f.solo, queued)} of it is tasks waiting between the server scheduling them and the worker's poll receiving them (schedule → start) while the worker has nothing else to do, i.e. dispatch latency in the dev server and, on a busy host, CPU scheduling; the fakes cost nothing. What would cut it: eager activity dispatch (\`system.enableActivityEagerExecution\` on the server; try \`BENCH_EAGER_ACTIVITIES=1\`), so an activity starts in the reply to the workflow task instead of through the queue, and fewer round trips per release, e.g. local activities for the ${lockCalls(f.solo).toFixed(0)} calls per release that only signal the lock workflows.`}`,
    );
  }
  if (f.burst.length) {
    const throughput = f.perMinute / 60;
    const c = d.burst.cpu;
    const used = (c.worker + c.server + c.driver) / f.wall;
    const wfThread = d.burst.profiles.find((x) => x.thread !== 'main thread');
    const saturated = wfThread && wfThread.windowMs > 0 ? wfThread.busyMs / wfThread.windowMs : undefined;
    notes.push(
      `- **${d.releases} at once** queue behind each other. By Little's law a release then takes about ${d.releases} ÷ throughput = ${d.releases} ÷ ${throughput.toFixed(2)}/s ≈ ${ms((d.releases / throughput) * 1000)} (measured p50 ${ms(f.burstP50)}): under a burst the overhead is queueing, and < 1 s would need ${d.releases} releases per second. Workflow tasks waiting to be picked up (schedule → start) are ${share(f.burst, (x) => x.wftQueue)} of a release's time.` +
        (saturated !== undefined
          ? ` The worker's workflow thread (the SDK runs every workflow on ${d.experiment.workflowThreadPoolSize ?? 1} thread with the reusable V8 context) was busy ${pct(saturated, 1)} of the burst${saturated > 0.85 ? ": it is the bottleneck, and throughput per worker is one thread's worth of workflow tasks" : ''}.`
          : '') +
        ` The bench's processes used ${((100 * used) / d.host.cores).toFixed(0)} % of the machine's CPU (worker ${cores(c.worker, f.wall)}, dev server ${cores(c.server, f.wall)} cores)${used > 0.8 * d.host.cores ? ': the CPUs are the limit here, and the worker and the dev server compete for them; in production the Temporal server runs elsewhere' : ''}.`,
    );
  }
  for (const r of [d.load.fresh, d.load.redelivery]) {
    if (r.p99 < 50 && r.reqPerSec >= 0.95 * d.rate) continue;
    const w = d.load.seconds * 1000;
    const temporalShare = r.temporal.p99 / r.p99;
    notes.push(
      `- **Webhook, ${r.mode === 'new' ? 'new releases' : 'redeliveries'}**: p99 ${ms(r.p99)} at ${r.reqPerSec.toFixed(0)} of ${d.rate} req/s. Each request makes one Temporal call (\`StartWorkflowExecution\`${r.mode === 'new' ? ', which persists the workflow, its first task and its visibility record' : ', refused as already started, nothing written'}), which took p50 ${ms(r.temporal.p50)} / p99 ${ms(r.temporal.p99)} of it: ${temporalShare >= 0.5 ? 'the latency is mostly Temporal (here a dev server on the same CPUs)' : "the latency is mostly outside the Temporal call: Runway's handler, the HTTP server, the API process's CPU"}. Meanwhile the API process used ${cores(r.cpu.driver, w)} cores and the dev server ${cores(r.cpu.server, w)}.`,
    );
  }
  const sandbox = d.burst.profiles.find((x) => x.topFunctions[0]?.[0].startsWith('runInContext'));
  if (sandbox) {
    const { plainUs, withTimeoutUs } = d.burst.vmCost;
    notes.push(
      `- **Worker profile**: the busiest frame of the ${sandbox.thread} is \`runInContext\` (${pct(sandbox.topFunctions[0]![1], sandbox.busyMs)} of its busy time): the SDK entering the workflow sandbox, several times per workflow task, each time with vm's \`timeout\` option (\`isolateExecutionTimeout\`), for which Node starts and joins a watchdog thread. Measured on this machine: ${withTimeoutUs.toFixed(0)} µs per call with a timeout, ${plainUs.toFixed(1)} µs without. That is SDK behaviour, not Runway code; more workflow threads (\`workflowThreadPoolSize\`) or more workers spread it.`,
    );
  }
  const b = d.burst;
  if (b.workerPeak >= 400 * 2 ** 20 && b.peakCached > 0) {
    notes.push(
      `- **Worker memory**: ${mb(b.workerPeak)} peak, ${mb(b.idleRss)} idle: about ${mb((b.workerPeak - b.idleRss) / b.peakCached)} of RSS per workflow in the cache (${b.peakCached}: every release in flight and its service lock; RSS includes garbage not yet collected). The workflow bundle is the SDK plus Runway's few workflow modules, so this is the SDK's per-workflow state. The default \`maxCachedWorkflows\` (from the heap limit) keeps them all; a cache smaller than the workflows in flight makes the worker evict and replay histories on nearly every task (try \`BENCH_MAX_CACHED\`), so the lever is fewer releases in flight per worker (more workers), not a smaller cache.`,
    );
  }
  return `## Reading the figures

${notes.length ? notes.join('\n') : '- Every target is met.'}
`;
}
