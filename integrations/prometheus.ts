// Prometheus' HTTP API (GET /api/v1/query), reduced to what verification needs: one number from an
// instant query, or null when the query has no data. Response shapes follow
// https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries.

export interface PrometheusOptions {
  url: string;
  token?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** The query itself is wrong (HTTP 400/422, `bad_data`): retrying cannot help. */
export class PrometheusQueryError extends Error {
  override name = 'PrometheusQueryError';
}

/** Prometheus could not be asked (network, 5xx, timeout): the answer is unknown, not bad. */
export class PrometheusUnavailableError extends Error {
  override name = 'PrometheusUnavailableError';
}

export interface PrometheusPort {
  /** The single value of an instant query; null for an empty result or NaN (e.g. 0/0 without traffic). */
  queryValue(query: string): Promise<number | null>;
}

interface ApiResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

export function createPrometheusClient(options: PrometheusOptions): PrometheusPort {
  const base = options.url.replace(/\/+$/, '');
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;

  return {
    async queryValue(query) {
      let res: Response;
      try {
        res = await fetch(`${base}/api/v1/query`, {
          method: 'POST',
          headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ query }).toString(),
          signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
        });
      } catch (err) {
        throw new PrometheusUnavailableError(`prometheus unreachable: ${(err as Error).message}`);
      }
      const body = (await res.json().catch(() => undefined)) as ApiResponse | undefined;
      if (res.status === 400 || res.status === 422 || body?.errorType === 'bad_data') {
        throw new PrometheusQueryError(`query rejected: ${body?.error ?? `HTTP ${res.status}`}`);
      }
      if (res.status === 401 || res.status === 403) {
        throw new PrometheusUnavailableError(`prometheus refused the credentials (HTTP ${res.status})`);
      }
      if (!res.ok || !body || body.status !== 'success' || !body.data) {
        throw new PrometheusUnavailableError(
          `prometheus answered HTTP ${res.status}${body?.error ? `: ${body.error}` : ''}`,
        );
      }
      return singleValue(body.data);
    },
  };
}

function parseSample(sample: unknown): number | null {
  if (!Array.isArray(sample) || sample.length !== 2) return null;
  const value = Number(sample[1]);
  return Number.isFinite(value) ? value : null;
}

function singleValue(data: NonNullable<ApiResponse['data']>): number | null {
  if (data.resultType === 'scalar') return parseSample(data.result);
  if (data.resultType !== 'vector') {
    throw new PrometheusQueryError(`expected an instant vector or scalar, got a ${data.resultType}`);
  }
  const series = data.result as { metric: Record<string, string>; value: unknown }[];
  if (series.length === 0) return null;
  if (series.length > 1) {
    throw new PrometheusQueryError(`the query returned ${series.length} series; aggregate it to one (e.g. sum(…))`);
  }
  return parseSample(series[0]!.value);
}
