// Metrics of the merge catch-up: releases it had to start (each one a webhook that never arrived) and the health
// of every project's webhook as GitLab reports it.
import { Counter, Gauge } from 'prom-client';
import { singleMetric } from '../../platform/metrics.js';

export const reconcileStarted = () =>
  singleMetric(
    'runway_reconcile_releases_started_total',
    (registry) =>
      new Counter({
        name: 'runway_reconcile_releases_started_total',
        help: 'Releases started by the merge catch-up because no webhook had started them',
        labelNames: ['project'] as const,
        registers: [registry],
      }),
  );

export const reconcileRuns = () =>
  singleMetric(
    'runway_reconcile_runs_total',
    (registry) =>
      new Counter({
        name: 'runway_reconcile_runs_total',
        help: 'Merge catch-up passes per project by outcome (ok, gitlab_error, temporal_unavailable)',
        labelNames: ['project', 'outcome'] as const,
        registers: [registry],
      }),
  );

export const webhookHealthy = () =>
  singleMetric(
    'runway_gitlab_webhook_healthy',
    (registry) =>
      new Gauge({
        name: 'runway_gitlab_webhook_healthy',
        help: '1 when the project has an enabled merge request webhook to Runway, 0 when it is missing or disabled',
        labelNames: ['project'] as const,
        registers: [registry],
      }),
  );
