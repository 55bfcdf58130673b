// Durations in runway.yaml are written like `90s`, `10m`, `24h`, `2d` (or a number of milliseconds).
import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(value.trim());
  if (!m) throw new Error(`invalid duration "${value}" (use e.g. 500ms, 30s, 10m, 2h, 1d)`);
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

/** A zod schema for a duration, parsed to milliseconds. */
export const duration = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
