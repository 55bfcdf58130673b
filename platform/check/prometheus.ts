// Prometheus, when runway.yaml has a `prometheus` section (verification queries) or RUNWAY_PROMETHEUS_URL is
// set: /-/ready, else the query API's build info (a proxy may hide /-/ready), with the configured token and headers.
import type { RunwayConfig } from '../../config/schema.js';
import { getJson, said, Unreachable, type Fetch } from './http.js';
import type { CheckResult } from './report.js';

export async function checkPrometheus(
  config: RunwayConfig,
  options: { url?: string; fetch?: Fetch } = {},
): Promise<CheckResult[]> {
  const area = 'prometheus';
  const url = config.prometheus?.url ?? options.url;
  if (!url) return [{ area, check: 'configured', status: 'skip', detail: 'no prometheus section' }];
  const headers: Record<string, string> = {
    ...(config.prometheus?.headers ?? {}),
    ...(config.prometheus?.token ? { Authorization: `Bearer ${config.prometheus.token}` } : {}),
  };
  const base = url.replace(/\/+$/, '');
  const check = `reachable at ${base}`;
  const fix = 'check prometheus.url (and prometheus.token / headers) in runway.yaml';
  try {
    const ready = await getJson(`${base}/-/ready`, headers, options);
    if (ready.status === 200) return [{ area, check, status: 'ok' }];
    const info = await getJson(`${base}/api/v1/status/buildinfo`, headers, options);
    if (info.status === 200) return [{ area, check, status: 'ok' }];
    return [{ area, check, status: 'fail', detail: `${info.status} ${said(info.body)}`, fix }];
  } catch (err) {
    return [{ area, check, status: 'fail', detail: err instanceof Unreachable ? err.message : String(err), fix }];
  }
}
