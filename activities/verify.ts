// One evaluation of an environment's checks: each Prometheus query and HTTP probe once. Short and
// read-only, so a retry is harmless; the window itself (how many, how often) lives in the workflow.
import type { VerifyCheck } from '../domain/types.js';
import { judgeValue, type CheckResult } from '../domain/verify.js';
import { PrometheusQueryError, type PrometheusPort } from '../integrations/prometheus.js';

export interface VerifyDeps {
  prometheus?: PrometheusPort;
  /** HTTP probes; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export interface EvaluateChecksInput {
  checks: VerifyCheck[];
}

export async function evaluateChecks(deps: VerifyDeps, input: EvaluateChecksInput): Promise<CheckResult[]> {
  return Promise.all(input.checks.map((check) => evaluateOne(deps, check)));
}

async function evaluateOne(deps: VerifyDeps, check: VerifyCheck): Promise<CheckResult> {
  if (check.prometheus) {
    if (!deps.prometheus) {
      return { name: check.name, outcome: 'fail', value: null, note: 'no prometheus configured on this worker' };
    }
    try {
      const value = await deps.prometheus.queryValue(check.prometheus);
      return { name: check.name, outcome: judgeValue(check, value), value };
    } catch (err) {
      // A wrong query fails the check; an unreachable Prometheus is an unknown, not a bad release.
      const outcome = err instanceof PrometheusQueryError ? 'fail' : 'inconclusive';
      return { name: check.name, outcome, value: null, note: (err as Error).message };
    }
  }
  const http = check.http!;
  try {
    const res = await (deps.fetch ?? fetch)(http.url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
    return { name: check.name, outcome: judgeValue(check, res.status), value: res.status };
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause;
    return {
      name: check.name,
      outcome: 'fail',
      value: null,
      note: `request failed: ${cause?.message ?? (err as Error).message}`,
    };
  }
}
