// Prometheus, when Runway is told where it is (RUNWAY_PROMETHEUS_URL or config `prometheus.url`): /-/ready.
import { getJson, said, Unreachable, type Fetch } from './http.js';
import type { CheckResult } from './report.js';

export async function checkPrometheus(
  url: string | undefined,
  options: { fetch?: Fetch } = {},
): Promise<CheckResult[]> {
  const area = 'prometheus';
  if (!url) return [{ area, check: 'configured', status: 'skip', detail: 'no Prometheus URL given' }];
  const check = `reachable at ${url}`;
  try {
    const ready = await getJson(`${url.replace(/\/+$/, '')}/-/ready`, {}, options);
    if (ready.status === 200) return [{ area, check, status: 'ok' }];
    // Behind a proxy /-/ready may be hidden: the query API's build info says the same.
    const info = await getJson(`${url.replace(/\/+$/, '')}/api/v1/status/buildinfo`, {}, options);
    return info.status === 200
      ? [{ area, check, status: 'ok' }]
      : [
          {
            area,
            check,
            status: 'fail',
            detail: `${ready.status} ${said(ready.body)}`,
            fix: 'check the Prometheus URL',
          },
        ];
  } catch (err) {
    return [
      {
        area,
        check,
        status: 'fail',
        detail: err instanceof Unreachable ? err.message : String(err),
        fix: 'check the Prometheus URL',
      },
    ];
  }
}
