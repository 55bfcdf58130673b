// Phase (a): releases of the given services, all started at once by the HTTP webhook, each approved for
// production through the `approve` Update as soon as the worker says the release asks for it.
import type { ChildProcess } from 'node:child_process';
import type { Client } from '@temporalio/client';
import type { ReleaseService } from '../api/release-service.js';
import { releaseId } from '../domain/ids.js';
import { APPROVER, commitSha, mergeHookBody, WEBHOOK_HEADERS, type FromWorker } from './config.js';

export interface ReleaseRecord {
  releaseId: string;
  sentAt: number;
  acceptedAt?: number;
  httpStatus?: number;
  /** When the worker published "approval requested", and when the driver's Update was sent / accepted. */
  approvalAskedAt?: number;
  updateSentAt?: number;
  updateDoneAt?: number;
  updateError?: string;
  outcome?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runReleases(options: {
  url: string;
  services: string[];
  run: number;
  worker: ChildProcess;
  releases: ReleaseService;
  client: Client;
  deadlineMs: number;
}): Promise<ReleaseRecord[]> {
  const records = new Map<string, ReleaseRecord>();

  const approve = async (record: ReleaseRecord, environment: string) => {
    record.updateSentAt = Date.now();
    // The worker asks after the workflow recorded the wait, so a refusal would be a bug; retry briefly anyway.
    for (let attempt = 0; ; attempt++) {
      try {
        await options.releases.decide(record.releaseId, 'approve', { environment, approver: APPROVER });
        record.updateDoneAt = Date.now();
        return;
      } catch (err) {
        if (attempt >= 20) {
          record.updateError = (err as Error).message;
          return;
        }
        await sleep(50);
      }
    }
  };
  const onMessage = (m: FromWorker) => {
    const record = m.type === 'approval' ? records.get(m.releaseId) : undefined;
    if (m.type !== 'approval' || !record) return;
    record.approvalAskedAt = m.at;
    void approve(record, m.environment);
  };
  options.worker.on('message', onMessage);

  // Every webhook at once: the worker then holds all releases in flight together.
  const started = options.services.map(async (service, i) => {
    const sha = commitSha(options.run, i);
    const record: ReleaseRecord = { releaseId: releaseId(service, sha), sentAt: Date.now() };
    records.set(record.releaseId, record);
    const response = await fetch(`${options.url}/webhooks/gitlab`, {
      method: 'POST',
      headers: WEBHOOK_HEADERS,
      body: mergeHookBody(service, sha),
    });
    await response.arrayBuffer();
    record.acceptedAt = Date.now();
    record.httpStatus = response.status;
    return record;
  });
  const accepted = await Promise.all(started);

  // Wait for every release to close, bounded: a stuck release is reported, not waited for forever.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>(
    (resolve) => (timer = setTimeout(() => resolve('timed out'), options.deadlineMs)),
  );
  await Promise.all(
    accepted.map(async (record) => {
      const closed = options.client.workflow
        .getHandle(record.releaseId)
        .result()
        .then(
          (result: { status?: string }) => result.status ?? 'completed',
          (err: Error) => `failed: ${err.message}`,
        );
      record.outcome = await Promise.race([closed, timeout]);
    }),
  );
  clearTimeout(timer);
  options.worker.off('message', onMessage);
  return accepted;
}
