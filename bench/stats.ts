// Percentiles and small formatting helpers for the report.

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const mean = (samples: readonly number[]): number =>
  samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : NaN;

export const sum = (samples: readonly number[]): number => samples.reduce((a, b) => a + b, 0);

export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return value >= 10 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
}

export const mb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MB` : 'n/a');

export const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(0)} %`;

/** CPU time over wall time: how many cores a process kept busy. */
export const cores = (cpuMs: number, wallMs: number): string => (cpuMs / wallMs).toFixed(2);

export const psi = (value?: number): string => (value === undefined ? 'n/a' : `${value.toFixed(0)} %`);
