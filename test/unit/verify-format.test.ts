import { describe, expect, it } from 'vitest';
import {
  describeResult,
  evaluationCount,
  fillCheckTemplate,
  formatThreshold,
  judgeValue,
  queryLink,
} from '../../domain/verify.js';

describe('verify formatting', () => {
  const check = { name: 'error-rate', prometheus: 'q', max: 0.01 };
  it('fills placeholders but leaves PromQL braces alone', () => {
    expect(
      fillCheckTemplate('rate(x{app="{service}",env="{environment}",v="{shortSha}"}[1m])', {
        service: 'pay',
        environment: 'prod',
        sha: 'abcdef0123456789',
      }),
    ).toBe('rate(x{app="pay",env="prod",v="abcdef01"}[1m])');
  });
  it('judges and describes values as people read them', () => {
    expect(judgeValue(check, 0.002)).toBe('pass');
    expect(judgeValue(check, 0.02)).toBe('fail');
    expect(judgeValue(check, null)).toBe('inconclusive');
    expect(judgeValue({ name: 'rps', prometheus: 'q', min: 10 }, 3)).toBe('fail');
    expect(describeResult(check, { name: 'error-rate', outcome: 'pass', value: 0.002 })).toBe('error-rate 0.2 % ≤ 1 %');
    expect(formatThreshold({ name: 'p99', prometheus: 'q', max: 250 })).toBe('≤ 250');
    expect(formatThreshold({ name: 's', http: { url: 'u', expectStatus: 204 } })).toBe('HTTP 204');
  });
  it('describes an HTTP check with a comparison, like a metric one', () => {
    const smoke = { name: 'smoke', http: { url: 'u', expectStatus: 200 } };
    expect(describeResult(smoke, { name: 'smoke', outcome: 'pass', value: 200 })).toBe(
      'smoke HTTP 200 = 200 (expected)',
    );
    expect(describeResult(smoke, { name: 'smoke', outcome: 'fail', value: 503 })).toBe(
      'smoke HTTP 503, expected HTTP 200',
    );
    expect(describeResult(check, { name: 'error-rate', outcome: 'fail', value: 0.05 })).toBe(
      'error-rate 5 %, expected ≤ 1 %',
    );
  });
  it('links a query to Prometheus or to a template', () => {
    expect(queryLink('up == 1', { prometheusUrl: 'http://prom:9090/' })).toBe(
      'http://prom:9090/graph?g0.expr=up%20%3D%3D%201&g0.tab=0&g0.range_input=1h',
    );
    expect(queryLink('up', { prometheusUrl: 'x', linkTemplate: 'https://grafana/explore?q={query}&from={from}' })).toBe(
      'https://grafana/explore?q=up&from=now-1h',
    );
  });
  it('counts evaluations', () => {
    expect(evaluationCount(300_000, 30_000)).toBe(10);
    expect(evaluationCount(1_000, 30_000)).toBe(1);
  });
});
