// The Prometheus client against a real Prometheus scraping the test exporter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPrometheusClient,
  PrometheusQueryError,
  PrometheusUnavailableError,
} from '../../integrations/prometheus.js';
import { evaluateChecks } from '../../activities/verify.js';
import { fillCheckTemplate } from '../../domain/verify.js';
import { ERROR_RATIO_QUERY, startPrometheus, type TestPrometheus } from '../support/prometheus.js';

let prom: TestPrometheus;
beforeAll(async () => {
  prom = await startPrometheus();
}, 60_000);
afterAll(async () => prom?.stop());

const query = (service: string, environment: string) =>
  fillCheckTemplate(ERROR_RATIO_QUERY, { service, environment, sha: 'a'.repeat(40) });

describe('prometheus client', () => {
  it('reads the error ratio the exporter serves', async () => {
    prom.exporter.setErrorRatio('payments', 'staging', 0.05);
    await prom.waitForData(query('payments', 'staging'));
    const client = createPrometheusClient({ url: prom.url });
    const value = await client.queryValue(query('payments', 'staging'));
    expect(value).toBeCloseTo(0.05, 3);
  });

  it('answers null for a query without data, and for 0/0', async () => {
    const client = createPrometheusClient({ url: prom.url });
    expect(await client.queryValue(query('nobody', 'staging'))).toBeNull();
    expect(await client.queryValue('0/0')).toBeNull();
    expect(await client.queryValue('vector(0) / vector(0)')).toBeNull();
  });

  it('refuses a bad query and a query with several series', async () => {
    const client = createPrometheusClient({ url: prom.url });
    await expect(client.queryValue('sum(rate(')).rejects.toBeInstanceOf(PrometheusQueryError);
    prom.exporter.setErrorRatio('payments', 'production', 0);
    await prom.waitForData('count(http_requests_total{app="payments",env="production"})');
    await expect(client.queryValue('http_requests_total{app="payments"}')).rejects.toThrow(/series/);
  });

  it('reports an unreachable Prometheus as unavailable', async () => {
    const client = createPrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 2000 });
    await expect(client.queryValue('up')).rejects.toBeInstanceOf(PrometheusUnavailableError);
  });

  it('evaluates prometheus and http checks: pass, fail, inconclusive', async () => {
    prom.exporter.setErrorRatio('orders', 'staging', 0.002);
    prom.exporter.setHealth('orders', 'staging', 503);
    await prom.waitForData(query('orders', 'staging'));
    const results = await evaluateChecks(
      { prometheus: createPrometheusClient({ url: prom.url }) },
      {
        checks: [
          { name: 'error-rate', prometheus: query('orders', 'staging'), max: 0.01 },
          { name: 'strict', prometheus: query('orders', 'staging'), max: 0.001 },
          { name: 'ghost', prometheus: query('ghost', 'staging'), max: 0.01 },
          { name: 'smoke', http: { url: `${prom.exporter.url}/healthz/orders/staging`, expectStatus: 200 } },
          { name: 'down', http: { url: 'http://127.0.0.1:9/healthz', expectStatus: 200 } },
        ],
      },
    );
    expect(results.map((r) => [r.name, r.outcome])).toEqual([
      ['error-rate', 'pass'],
      ['strict', 'fail'],
      ['ghost', 'inconclusive'],
      ['smoke', 'fail'],
      ['down', 'fail'],
    ]);
    expect(results[3]!.value).toBe(503);
    expect(results[4]!.note).toMatch(/request failed/);
  });
});
