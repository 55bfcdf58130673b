// The load generator: a separate process (its CPU is not the API's) running autocannon against the
// webhook endpoint on loopback, `rate` requests per second for `seconds` seconds.
//
// autocannon's own pacing (`overallRate`) lets every connection send its share of a second back to back
// from the start of each second, so latency then measures a burst of `connections` concurrent requests,
// not a rate. Instead: `rate` single-connection instances at 1 req/s each, started 1/rate s apart, so
// requests arrive evenly (as long as each answers within a second).
import autocannon, { type Instance } from 'autocannon';
import { commitSha, mergeHookBody, WEBHOOK_HEADERS } from './config.js';
import { percentile } from './stats.js';

export interface LoadJob {
  url: string;
  service: string;
  /** new: a distinct commit per request (each starts a release); redelivery: the same commit every time. */
  mode: 'new' | 'redelivery';
  run: number;
  rate: number;
  seconds: number;
}

export interface LoadResult {
  mode: LoadJob['mode'];
  requests: number;
  durationS: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
  errors: number;
  cpuMs: number;
}

async function runLoad(job: LoadJob): Promise<LoadResult> {
  const cpuBefore = process.cpuUsage();
  let next = 0;
  const body = (): string => mergeHookBody(job.service, commitSha(job.run, job.mode === 'new' ? next++ : 0));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const startedAt = performance.now();
  const instances: Promise<unknown>[] = [];
  for (let i = 0; i < job.rate; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000 / job.rate));
    const instance: Instance = autocannon({
      url: job.url,
      method: 'POST',
      headers: WEBHOOK_HEADERS,
      connections: 1,
      connectionRate: 1,
      duration: job.seconds,
      timeout: 30,
      // Its correction assumes a 1 ms interval at these rates and would skew the percentiles.
      ignoreCoordinatedOmission: true,
      requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }],
    });
    instance.on('response', (_client: unknown, status: number, _bytes: number, time: number) => {
      latencies.push(time);
      statuses[status] = (statuses[status] ?? 0) + 1;
    });
    instance.on('reqError', () => errors++);
    instances.push(Promise.resolve(instance));
  }
  await Promise.all(instances);
  const durationS = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    mode: job.mode,
    requests: latencies.length,
    durationS,
    // Each instance runs `seconds`; the start-up stagger is not load time.
    reqPerSec: latencies.length / job.seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    statuses,
    errors,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

process.once('message', (job: LoadJob) => {
  runLoad(job).then(
    (result) => process.send?.(result, () => process.exit(0)),
    (err: unknown) => {
      console.error('bench load failed:', err);
      process.exit(1);
    },
  );
});
