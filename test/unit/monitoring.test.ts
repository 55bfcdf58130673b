// deploy/monitoring: the PrometheusRule's alerts, unit-tested with the real promtool (Debian's `prometheus`
// package, installed when missing), the Grafana dashboard's queries parsed by promtool too, and every metric either
// file names exists: Runway's in the product code, the Temporal SDK's in the SDK's native module Runway ships. The
// one exception is the watcher's heartbeat, a contract with the watcher workflow (docs/observability.md).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ensureAptBinary } from '../support/apt.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const PROMTOOL = '/usr/bin/promtool';
/** Written by the watcher workflow on every poll (unix seconds); agreed in docs/observability.md. */
const WATCHER_METRIC = 'runway_watcher_last_poll_timestamp_seconds';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const prometheusRule = parse(read('deploy/monitoring/prometheus-rules.yaml')) as {
  apiVersion: string;
  kind: string;
  spec: { groups: { name: string; rules: Rule[] }[] };
};
const rules = prometheusRule.spec.groups.flatMap((g) => g.rules);

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
}
const dashboard = JSON.parse(read('deploy/monitoring/grafana-dashboard.json')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; query: { query: string } }[] };
};
const dashboardQueries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const variableQueries = dashboard.templating.list.map((v) => v.query.query);

/** Grafana's variables as Prometheus sees them once Grafana has filled them in. */
function substituteGrafanaVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__range', '1d')
    .replace(/\$(service|environment)\b/g, '.*');
}

/** Metric names a PromQL expression reads (Runway's and the Temporal SDK's; histogram series to their metric). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:runway|temporal)_[a-z0-9_]+)\b/g)].map((m) =>
    m[1]!.replace(/_(bucket|count|sum)$/, ''),
  );
}

function productSources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}
const productCode = ['activities', 'integrations', 'api', 'platform', 'worker', 'workflows', 'domain', 'config']
  .flatMap(productSources)
  .map((file) => readFileSync(file, 'utf8'))
  .join('\n');

/** The Temporal SDK's metric names live in its native module (sdk-core), without the `temporal_` prefix. */
function sdkNativeModule(): Buffer {
  const releases = join(root, 'node_modules/@temporalio/core-bridge/releases');
  const platform = readdirSync(releases).find((d) => d.startsWith('x86_64-unknown-linux')) ?? readdirSync(releases)[0]!;
  return readFileSync(join(releases, platform, 'index.node'));
}

const dir = mkdtempSync(join(tmpdir(), 'runway-monitoring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => ensureAptBinary(PROMTOOL, 'prometheus'), 300_000);

async function promtool(args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(PROMTOOL, args, { cwd: dir });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('deploy/monitoring/prometheus-rules.yaml', () => {
  it('is a PrometheusRule with the alerts the docs promise, each with a severity and a summary', () => {
    expect(prometheusRule).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' });
    expect(rules.map((r) => r.alert)).toEqual([
      'RunwayRollbackFailed',
      'RunwayReleaseStuck',
      'RunwayReleaseStepRetrying',
      'RunwayWebhooksFailing',
      'RunwayWatcherDown',
    ]);
    const docs = read('docs/observability.md');
    for (const rule of rules) {
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(docs, `docs/observability.md explains ${rule.alert}`).toContain(rule.alert!);
    }
  });

  it('passes promtool check rules and its unit tests (each alert fires on trouble, not on health)', async () => {
    writeFileSync(join(dir, 'prometheus-rules.groups.yaml'), stringify({ groups: prometheusRule.spec.groups }));
    writeFileSync(join(dir, 'prometheus-rules.test.yaml'), read('deploy/monitoring/prometheus-rules.test.yaml'));
    expect(await promtool(['check', 'rules', 'prometheus-rules.groups.yaml'])).toContain('SUCCESS: 5 rules found');
    expect(await promtool(['test', 'rules', 'prometheus-rules.test.yaml'])).toContain('SUCCESS');
    // Every alert has a unit test.
    const tests = parse(read('deploy/monitoring/prometheus-rules.test.yaml')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const tested = tests.tests.flatMap((t) => t.alert_rule_test).filter((a) => a.exp_alerts.length > 0);
    expect(new Set(tested.map((a) => a.alertname))).toEqual(new Set(rules.map((r) => r.alert)));
  }, 60_000);

  it('the unit tests can fail: a rule that watches the wrong outcome is caught', async () => {
    const broken = structuredClone(prometheusRule.spec.groups);
    const rollback = broken[0]!.rules.find((r) => r.alert === 'RunwayRollbackFailed')!;
    rollback.expr = rollback.expr.replace('outcome="failed"', 'outcome="succeeded"');
    writeFileSync(join(dir, 'prometheus-rules.groups.yaml'), stringify({ groups: broken }));
    writeFileSync(join(dir, 'prometheus-rules.test.yaml'), read('deploy/monitoring/prometheus-rules.test.yaml'));
    await expect(promtool(['test', 'rules', 'prometheus-rules.test.yaml'])).rejects.toThrow(/RunwayRollbackFailed/);
  }, 60_000);
});

describe('deploy/monitoring/grafana-dashboard.json', () => {
  it('is an importable dashboard: unique panel ids, every query on the ${DS_PROMETHEUS} input', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets!) expect(target.datasource?.uid, panel.title).toBe('${DS_PROMETHEUS}');
    }
    const shown = new Set(dashboardQueries.flatMap(metricsIn));
    // The DORA gauges and the release metrics are all on it.
    for (const metric of [
      'runway_dora_deployments_per_day',
      'runway_dora_lead_time_median_seconds',
      'runway_dora_lead_time_p90_seconds',
      'runway_dora_change_failure_rate',
      'runway_dora_time_to_restore_median_seconds',
      'runway_releases_total',
      'runway_stage_duration_seconds',
      'runway_approval_wait_seconds',
      'runway_rollbacks_total',
    ])
      expect(shown, metric).toContain(metric);
  });

  it('has queries promtool parses (each one as a recording rule)', async () => {
    const queries = [...dashboardQueries, ...variableQueries.map((q) => q.replace(/^label_values\(([^,]+),.*$/, '$1'))];
    const groups = [
      {
        name: 'dashboard',
        rules: queries.map((expr, i) => ({ record: `dashboard:query_${i}`, expr: substituteGrafanaVariables(expr) })),
      },
    ];
    writeFileSync(join(dir, 'dashboard-queries.yaml'), stringify({ groups }));
    expect(await promtool(['check', 'rules', 'dashboard-queries.yaml'])).toContain(
      `SUCCESS: ${queries.length} rules found`,
    );
  }, 60_000);
});

describe('every metric the dashboard and the alerts read exists', () => {
  const referenced = [
    ...new Set([...dashboardQueries, ...variableQueries, ...rules.map((r) => r.expr)].flatMap(metricsIn)),
  ];

  it("Runway's are defined in the product code", () => {
    const runway = referenced.filter((m) => m.startsWith('runway_'));
    expect(runway.length).toBeGreaterThan(10);
    const undefinedMetrics = runway.filter((m) => !productCode.includes(`'${m}'`) && m !== WATCHER_METRIC);
    expect(undefinedMetrics, 'referenced but not defined in activities/, api/, platform/, worker/ …').toEqual([]);
  });

  it("the Temporal SDK's are in the SDK Runway ships", () => {
    const sdk = referenced.filter((m) => m.startsWith('temporal_'));
    expect(sdk.length).toBeGreaterThan(0);
    const binary = sdkNativeModule();
    expect(sdk.filter((m) => !binary.includes(m.slice('temporal_'.length)))).toEqual([]);
  });

  it('the watcher heartbeat is the one exception: documented as the contract until the watcher defines it', () => {
    expect(referenced).toContain(WATCHER_METRIC);
    // The name, type and unit the watcher must use are written down where operators and its author look.
    expect(read('docs/observability.md')).toMatch(new RegExp(`\\| \`${WATCHER_METRIC}\`\\s*\\| gauge`));
  });

  it('the checks can fail: a made-up metric is reported', () => {
    expect(metricsIn('rate(runway_made_up_total[5m])')).toEqual(['runway_made_up_total']);
    expect(productCode.includes("'runway_made_up_total'")).toBe(false);
    expect(sdkNativeModule().includes('made_up_sdk_metric_name')).toBe(false);
  });
});
