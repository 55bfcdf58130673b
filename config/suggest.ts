// "Did you mean": the known keys of the object a config path points into, and the closest one to a typo.
import type { z } from 'zod';

type Def = {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  valueType?: unknown;
  element?: unknown;
  options?: unknown[];
  left?: unknown;
  right?: unknown;
};
const defOf = (schema: unknown): Def | undefined => (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/** Wrappers that do not change which keys an object has. */
function unwrap(schema: unknown): unknown[] {
  const def = defOf(schema);
  if (!def) return [];
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return unwrap(def.innerType);
    case 'pipe':
      return unwrap(def.in);
    case 'union':
      return (def.options ?? []).flatMap(unwrap);
    case 'intersection':
      return [...unwrap(def.left), ...unwrap(def.right)];
    default:
      return [schema];
  }
}

/** The schemas a path may lead to (several under unions). */
function at(schema: unknown, path: readonly PropertyKey[]): unknown[] {
  let current = unwrap(schema);
  for (const key of path) {
    current = current.flatMap((s) => {
      const def = defOf(s)!;
      if (def.type === 'object') return def.shape && typeof key === 'string' ? unwrap(def.shape[key]) : [];
      if (def.type === 'record') return unwrap(def.valueType);
      if (def.type === 'array') return unwrap(def.element);
      return [];
    });
  }
  return current;
}

export function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  return [...new Set(at(schema, path).flatMap((s) => Object.keys(defOf(s)?.shape ?? {})))];
}

/** Edit distance (insert, delete, substitute, swap of neighbours), case-insensitive. */
export function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i ? (j ? 0 : i) : j)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known key closest to `typo`, when it is close enough to be a likely slip (about a third of its length). */
export function suggestKey(schema: z.ZodType, path: readonly PropertyKey[], typo: string): string | undefined {
  const limit = Math.max(1, Math.floor(typo.length / 3));
  let best: { key: string; d: number } | undefined;
  for (const key of knownKeys(schema, path)) {
    const d = distance(key, typo);
    if (d <= limit && (!best || d < best.d)) best = { key, d };
  }
  return best?.key;
}
