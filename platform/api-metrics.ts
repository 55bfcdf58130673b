// API-side metrics: GitLab webhook outcomes and HTTP request durations, on the process registry.
import { Counter, Histogram } from 'prom-client';
import { singleMetric } from './metrics.js';

export type WebhookOutcome =
  'started' | 'redelivered' | 'ignored' | 'unauthorized' | 'invalid' | 'too_large' | 'signalled' | 'error';

const webhooks = () =>
  singleMetric(
    'runway_webhooks_total',
    (registry) =>
      new Counter({
        name: 'runway_webhooks_total',
        help: 'GitLab webhook deliveries by event and outcome',
        labelNames: ['event', 'outcome'] as const,
        registers: [registry],
      }),
  );

export const httpDuration = () =>
  singleMetric(
    'runway_http_request_duration_seconds',
    (registry) =>
      new Histogram({
        name: 'runway_http_request_duration_seconds',
        help: 'HTTP request duration by method, route template and status',
        labelNames: ['method', 'route', 'status'] as const,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
  );

/** The X-Gitlab-Event header as a label with few values (the header is caller-controlled). */
export function webhookEventLabel(header: string | undefined): string {
  if (header === 'Merge Request Hook') return 'merge_request';
  if (header === 'Pipeline Hook') return 'pipeline';
  return 'other';
}

export function countWebhook(event: string, outcome: WebhookOutcome): void {
  webhooks().inc({ event, outcome });
}
