// DORA as Prometheus gauges per service, computed when scraped (through DoraSource's cache, so a
// scrape costs Temporal at most one scan per service every cacheMs). Lives in its own registry,
// because it belongs to one API app (one config), not to the process.
import { Gauge, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { DoraResult, DoraSource } from './dora-source.js';
import { errorFields } from './scrub.js';

const GAUGES: { name: string; help: string; value: (r: DoraResult) => number | null }[] = [
  {
    name: 'runway_dora_deployments_per_day',
    help: 'DORA deployment frequency: successful production deploys per day over the window',
    value: (r) => r.deploymentFrequency.perDay,
  },
  {
    name: 'runway_dora_lead_time_median_seconds',
    help: 'DORA lead time for changes: median from release start (merge) to production deploy end',
    value: (r) => r.leadTime.medianSeconds,
  },
  {
    name: 'runway_dora_lead_time_p90_seconds',
    help: 'DORA lead time for changes: 90th percentile',
    value: (r) => r.leadTime.p90Seconds,
  },
  {
    name: 'runway_dora_change_failure_rate',
    help: 'DORA change failure rate: failed production changes / production changes (0..1)',
    value: (r) => r.changeFailureRate.rate,
  },
  {
    name: 'runway_dora_time_to_restore_median_seconds',
    help: 'DORA time to restore: median from a failed production change to the next successful production deploy',
    value: (r) => r.timeToRestore.medianSeconds,
  },
  {
    name: 'runway_dora_mttr_seconds',
    help: 'Mean time to recovery from real incidents between releases (Degraded/Missing to Healthy), every environment',
    value: (r) => r.meanTimeToRecovery.meanSeconds,
  },
];

export function doraGaugeRegistry(source: DoraSource, windowMs: number, logger?: Logger): Registry {
  const registry = new Registry();
  let last = new Map<string, DoraResult>();
  let pending: Promise<Map<string, DoraResult>> | undefined;
  const refresh = async (): Promise<Map<string, DoraResult>> => {
    try {
      const results = await Promise.all(source.services.map((s) => source.report(s, windowMs)));
      last = new Map(results.map((r) => [r.service!, r]));
    } catch (err) {
      logger?.warn({ err: errorFields(err) }, 'dora: refresh failed; serving the previous values');
    }
    return last;
  };
  // The gauges of one scrape are collected together: they share one refresh (and one warning).
  const reports = (): Promise<Map<string, DoraResult>> =>
    (pending ??= refresh().finally(() => {
      pending = undefined;
    }));
  new Gauge({
    name: 'runway_dora_window_seconds',
    help: 'The window the runway_dora_* gauges are computed over',
    registers: [registry],
  }).set(windowMs / 1000);
  for (const def of GAUGES) {
    new Gauge({
      name: def.name,
      help: def.help,
      labelNames: ['service'] as const,
      registers: [registry],
      async collect() {
        const values = await reports();
        this.reset();
        for (const [service, report] of values) {
          const value = def.value(report);
          if (value !== null) this.set({ service }, value);
        }
      },
    });
  }
  return registry;
}
