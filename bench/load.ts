// The load generator: a separate process (so its CPU is not the API's) running autocannon against the
// webhook endpoint on loopback, at a fixed overall rate and a bounded number of requests.
import autocannon from 'autocannon';
import { commitSha, mergeHookBody, WEBHOOK_HEADERS } from './config.js';
import { percentile } from './stats.js';

export interface LoadJob {
  url: string;
  service: string;
  /** new: a distinct commit per request (each starts a release); redelivery: the same commit every time. */
  mode: 'new' | 'redelivery';
  run: number;
  rate: number;
  amount: number;
  connections: number;
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
}

async function runLoad(job: LoadJob): Promise<LoadResult> {
  let next = 0;
  const body = (): string =>
    mergeHookBody(job.service, commitSha(job.run, job.mode === 'new' ? next++ : 0));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const instance = autocannon({
    url: job.url,
    method: 'POST',
    headers: WEBHOOK_HEADERS,
    connections: job.connections,
    overallRate: job.rate,
    amount: job.amount,
    timeout: 30,
    // autocannon's correction assumes a 1 ms interval at rates ≥ 1/s per connection, which skews
    // percentiles; raw per-request latencies are recorded below instead.
    ignoreCoordinatedOmission: true,
    requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, time: number) => {
    latencies.push(time);
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const result = await instance;
  return {
    mode: job.mode,
    requests: latencies.length,
    durationS: result.duration,
    reqPerSec: latencies.length / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    statuses,
    errors: result.errors,
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
