// Temporal: the frontend answers, the namespace exists, Runway's search attributes are registered.
import { Connection } from '@temporalio/client';
import type { RunwayConfig } from '../../config/schema.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../../domain/search-attributes.js';
import { connectionOptions } from '../temporal-connection-options.js';
import type { CheckResult } from './report.js';

export async function checkTemporal(
  config: RunwayConfig,
  options: { timeoutMs?: number } = {},
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
