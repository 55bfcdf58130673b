// The process's one Prometheus registry (default Node metrics on). Worker and API metrics register
// here, so when both run in one process (`make dev`, tests) a single /metrics shows everything.
import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';

let registry: Registry | undefined;

export function metricsRegistry(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}

/**
 * Returns the metric registered under `name`, creating it on first use: modules and apps may be
 * set up more than once per process (tests), and prom-client refuses a second registration.
 */
export function singleMetric<T extends Metric>(name: string, create: (registry: Registry) => T): T {
  const reg = metricsRegistry();
  return (reg.getSingleMetric(name) as T | undefined) ?? create(reg);
}

/** Joins exposition texts (registries, the Temporal SDK's exporter) into one scrape answer. */
export function joinExpositions(parts: string[]): string {
  return parts
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `${p}\n`)
    .join('');
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
