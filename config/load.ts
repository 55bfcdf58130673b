// Loads runway.yaml: parse, substitute ${ENV_VAR} in string values, validate, and report every problem at
// once, each with its path, as plain text for a person:
//   runway.yaml has 2 problems:
//     - gitlab.token: environment variable GITLAB_TOKEN is not set
//     - services.payments.enviroments: unknown key; did you mean "environments"?
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { z } from 'zod';
import { configSchema, type RunwayConfig } from './schema.js';
import { suggestKey } from './suggest.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}\n  - ${problems.join('\n  - ')}` : message);
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, '');
}

/** One issue → one line per problem (an unknown-keys issue names several keys). */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown, schema: z.ZodType = configSchema): string[] {
  const where = formatPath(issue.path) || '(root)';
  // Zod leaves the offending value out of its issues; look it up in what was validated.
  const value = valueAt(input, issue.path);
  if (issue.code === 'invalid_type' && value === undefined) return [`${where}: required`];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => {
      const guess = suggestKey(schema, issue.path, k);
      return `${formatPath([...issue.path, k])}: unknown key${guess ? `; did you mean "${guess}"?` : ''}`;
    });
  }
  if (issue.code === 'too_small' && issue.origin === 'string' && value === '') return [`${where}: is empty`];
  return [`${where}: ${issue.message}`];
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** `X has N problems:` and one line each; the message a person reads when Runway refuses to start. */
export function problemsMessage(source: string, problems: readonly string[]): string {
  return problems.length === 1 ? `${source} has a problem:` : `${source} has ${problems.length} problems:`;
}

/** Replaces `${NAME}` (and `${NAME:-default}`) in every string; `$${` escapes a literal `${`. */
export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  path: PropertyKey[] = [],
  missing: string[] = [],
  /** Filled with path → variable for each value a variable left empty, so "is empty" can name it. */
  emptied?: Map<string, string>,
): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$?\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (match: string, name: string, fallback?: string) => {
        if (match.startsWith('$$')) return match.slice(1);
        const found = env[name] ?? fallback;
        if (found === undefined) {
          missing.push(`${formatPath(path) || '(root)'}: environment variable ${name} is not set`);
          return '';
        }
        if (found === '') emptied?.set(formatPath(path) || '(root)', name);
        return found;
      },
    );
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, [...path, i], missing, emptied));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, [...path, k], missing, emptied)]),
    );
  }
  return value;
}

export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env, source = 'runway.yaml'): RunwayConfig {
  let raw: unknown;
  try {
    raw = parse(text, { prettyErrors: true }) ?? {};
  } catch (err) {
    throw new ConfigError(`${source} is not valid YAML: ${(err as Error).message}`);
  }
  const missing: string[] = [];
  const emptied = new Map<string, string>();
  const substituted = substituteEnv(raw, env, [], missing, emptied);
  const result = configSchema.safeParse(substituted);
  // Every problem at once: the environment's and the schema's. A value left empty by an unset variable is
  // reported once, as the variable.
  const envPaths = new Set(missing.map((m) => m.slice(0, m.indexOf(': '))));
  const schemaProblems = result.success
    ? []
    : result.error.issues
        .flatMap((issue) => describeIssue(issue, substituted))
        .map((line) => {
          const variable = line.endsWith(': is empty') ? emptied.get(line.slice(0, -': is empty'.length)) : undefined;
          return variable ? `${line} (environment variable ${variable} is set but empty)` : line;
        })
        .filter((line) => !envPaths.has(line.slice(0, line.indexOf(': '))));
  const problems = [...missing, ...schemaProblems];
  if (problems.length || !result.success) throw new ConfigError(problemsMessage(source, problems), problems);
  return result.data;
}

export function loadConfig(
  path = process.env.RUNWAY_CONFIG ?? 'runway.yaml',
  env: NodeJS.ProcessEnv = process.env,
): RunwayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseConfig(text, env, path);
}
