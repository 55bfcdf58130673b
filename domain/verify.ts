// Pure verification logic: filling check templates, judging one value against its threshold, and the
// one-line summaries people read in Slack, the timeline and the MR comment.
import type { VerifyCheck } from './types.js';

export interface CheckVars {
  service: string;
  environment: string;
  sha: string;
}

/** Fills `{service} {environment} {sha} {shortSha}`; other braces (PromQL label matchers) are left alone. */
export function fillCheckTemplate(template: string, vars: CheckVars, encode = false): string {
  const values: Record<string, string> = {
    service: vars.service,
    environment: vars.environment,
    sha: vars.sha,
    shortSha: vars.sha.slice(0, 8),
  };
  return template.replace(/\{(service|environment|sha|shortSha)\}/g, (_, key: string) =>
    encode ? encodeURIComponent(values[key]!) : values[key]!,
  );
}

/** A link to the query for people: Prometheus' graph page, or a template with `{query} {from} {to}`. */
export function queryLink(
  query: string,
  options: { prometheusUrl: string; linkTemplate?: string; from?: number; to?: number },
): string {
  if (options.linkTemplate) {
    return options.linkTemplate
      .replace(/\{query\}/g, encodeURIComponent(query))
      .replace(/\{from\}/g, String(options.from ?? 'now-1h'))
      .replace(/\{to\}/g, String(options.to ?? 'now'));
  }
  const base = options.prometheusUrl.replace(/\/+$/, '');
  return `${base}/graph?g0.expr=${encodeURIComponent(query)}&g0.tab=0&g0.range_input=1h`;
}

/** One evaluation of one check. `value` is the metric (or the HTTP status); null when there was no data. */
export interface CheckResult {
  name: string;
  outcome: 'pass' | 'fail' | 'inconclusive';
  value: number | null;
  /** Why it failed or was inconclusive (query error, unexpected status, …). */
  note?: string;
}

export function judgeValue(check: VerifyCheck, value: number | null): CheckResult['outcome'] {
  if (value === null || Number.isNaN(value)) return 'inconclusive';
  if (check.http) return value === check.http.expectStatus ? 'pass' : 'fail';
  if (check.max !== undefined && value > check.max) return 'fail';
  if (check.min !== undefined && value < check.min) return 'fail';
  return 'pass';
}

/** `0.2 %` for ratios (thresholds ≤ 1 read as ratios), plain numbers otherwise. */
export function formatValue(check: VerifyCheck, value: number | null): string {
  if (value === null) return 'no data';
  if (check.http) return `HTTP ${value}`;
  const threshold = check.max ?? check.min;
  if (threshold !== undefined && Math.abs(threshold) <= 1 && Math.abs(value) <= 1) {
    return `${trim(value * 100)} %`;
  }
  return trim(value);
}

function trim(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(3)));
}

/** The threshold as people say it: `≤ 1 %`, `≥ 100`, `HTTP 200`. */
export function formatThreshold(check: VerifyCheck): string {
  if (check.http) return `HTTP ${check.http.expectStatus}`;
  const parts: string[] = [];
  if (check.min !== undefined) parts.push(`≥ ${formatValue(check, check.min)}`);
  if (check.max !== undefined) parts.push(`≤ ${formatValue(check, check.max)}`);
  return parts.join(' and ');
}

/** `error-rate 0.2 % ≤ 1 %`, `smoke HTTP 200 = 200 (expected)` (pass) or `error-rate 5 %, expected ≤ 1 %` (fail). */
export function describeResult(check: VerifyCheck, result: CheckResult): string {
  const value = formatValue(check, result.value);
  if (result.outcome === 'inconclusive') return `${check.name}: ${value}${result.note ? ` (${result.note})` : ''}`;
  if (result.outcome === 'pass') {
    // A status is compared for equality: `smoke HTTP 200 = 200 (expected)`, like `error-rate 0.2 % ≤ 1 %`.
    if (check.http) return `${check.name} ${value} = ${check.http.expectStatus} (expected)`;
    return `${check.name} ${value} ${formatThreshold(check)}`;
  }
  return `${check.name} ${value}, expected ${formatThreshold(check)}${result.note ? ` (${result.note})` : ''}`;
}

/** How many evaluations a window of `durationMs` holds at `intervalMs`: at least one. */
export function evaluationCount(durationMs: number, intervalMs: number): number {
  return Math.max(1, Math.round(durationMs / Math.max(intervalMs, 1)));
}
