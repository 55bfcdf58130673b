// Temporal: the frontend answers, the namespace exists, Runway's search attributes are registered, and no open run
// needs the old path of a retired patch (the worker would refuse to start).
import { Client, Connection } from '@temporalio/client';
import type { RunwayConfig } from '../../config/schema.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../../domain/search-attributes.js';
import { connectionOptions } from '../temporal-connection-options.js';
import {
  RETIRED_PATCH_RUNS_FIX,
  describeRetiredPatchRuns,
  findRetiredPatchRuns,
  retiredPatchRunsAllowed,
  type RetiredPatchRunsOptions,
} from '../retired-patch-runs.js';
import type { CheckResult } from './report.js';

export async function checkTemporal(
  config: RunwayConfig,
  options: { timeoutMs?: number; retiredPatchCutoff?: RetiredPatchRunsOptions['cutoff'] } = {},
): Promise<CheckResult[]> {
  const area = 'temporal';
  const { address, namespace } = config.temporal;
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...connectionOptions(config.temporal),
      connectTimeout: options.timeoutMs ?? 5_000,
    });
  } catch (err) {
    return [
      {
        area,
        check: `reachable at ${address}`,
        status: 'fail',
        detail: (err as Error).message.split('\n')[0],
        fix: 'check temporal.address (host:port of the frontend, 7233), and temporal.tls / apiKey for Temporal Cloud',
      },
    ];
  }
  const out: CheckResult[] = [{ area, check: `reachable at ${address}`, status: 'ok' }];
  try {
    await connection.workflowService.describeNamespace({ namespace });
    out.push({ area, check: `namespace ${namespace}`, status: 'ok' });
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set(Object.keys(listed.customAttributes ?? {}));
    const missing = RUNWAY_SEARCH_ATTRIBUTES.map((k) => k.name).filter((n) => !known.has(n));
    out.push(
      missing.length
        ? {
            area,
            check: 'search attributes',
            status: 'warn',
            detail: `missing ${missing.join(', ')}`,
            fix: 'the worker registers them at start; on Temporal Cloud add them in the namespace settings',
          }
        : { area, check: 'search attributes', status: 'ok' },
    );
    out.push(...(await checkRetiredPatchRuns(connection, config, options.retiredPatchCutoff)));
  } catch (err) {
    const message = (err as Error).message;
    out.push({
      area,
      check: `namespace ${namespace}`,
      status: 'fail',
      detail: message.split('\n')[0],
      fix: /not found/i.test(message)
        ? `temporal operator namespace create --namespace ${namespace}`
        : 'check the credentials for this namespace',
    });
  } finally {
    await connection.close();
  }
  return out;
}

async function checkRetiredPatchRuns(
  connection: Connection,
  config: RunwayConfig,
  cutoff: RetiredPatchRunsOptions['cutoff'],
): Promise<CheckResult[]> {
  const check = 'no open run needs a retired patch path';
  const client = new Client({ connection, namespace: config.temporal.namespace });
  try {
    const found = await findRetiredPatchRuns(client, { taskQueue: config.temporal.taskQueue, cutoff });
    if (found.length === 0) return [{ area: 'temporal', check, status: 'ok' }];
    // The worker refuses to start on these unless the override is set.
    const status = retiredPatchRunsAllowed() ? 'warn' : 'fail';
    return found.map((runs) => ({
      area: 'temporal',
      check,
      status,
      detail: describeRetiredPatchRuns(runs),
      fix: RETIRED_PATCH_RUNS_FIX,
    }));
  } catch (err) {
    return [
      {
        area: 'temporal',
        check,
        status: 'warn',
        detail: `visibility query failed: ${(err as Error).message.split('\n')[0]}`,
        fix: 'run the query of docs/workflows.md ("Retiring a patched() branch") in the Temporal UI',
      },
    ];
  }
}
