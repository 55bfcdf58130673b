// The Temporal SDK's own metrics (workflow/activity task latencies, slots, polls, …) come from its
// Rust core, which serves them on a separate Prometheus endpoint. Runway binds it to loopback and
// appends its text to the worker's /metrics, so one scrape target carries both.
import type { TelemetryOptions } from '@temporalio/worker';

export const DEFAULT_TEMPORAL_METRICS_ADDRESS = '127.0.0.1:9465';

/** RUNWAY_TEMPORAL_METRICS_ADDRESS (host:port), `off` to disable. */
export function temporalMetricsAddress(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.RUNWAY_TEMPORAL_METRICS_ADDRESS ?? DEFAULT_TEMPORAL_METRICS_ADDRESS;
  return value === '' || value === 'off' ? undefined : value;
}

/** The `metrics` part of Runtime.install's telemetryOptions, or undefined when disabled. */
export function temporalMetricsTelemetry(address: string | undefined): TelemetryOptions['metrics'] {
  return address ? { prometheus: { bindAddress: address } } : undefined;
}

/** The SDK exporter's text; a comment instead when it cannot be read, so a scrape never fails on it. */
export async function fetchTemporalMetrics(address: string | undefined, timeoutMs = 2_000): Promise<string> {
  if (!address) return '';
  const host = address.replace(/^0\.0\.0\.0:/, '127.0.0.1:');
  try {
    const res = await fetch(`http://${host}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return `# temporal sdk metrics unavailable: HTTP ${res.status}\n`;
    return await res.text();
  } catch (err) {
    return `# temporal sdk metrics unavailable: ${(err as Error).message}\n`;
  }
}
