// Loads runway.yaml: parse, substitute ${ENV_VAR} in string values, validate, and report every problem
// with its path (`services.payments.environments[1].argocd.application: required`).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { z } from 'zod';
import { configSchema, type RunwayConfig } from './schema.js';

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

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path) || '(root)';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${where}: required`;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown key`).join('\n  - ');
  }
  return `${where}: ${issue.message}`;
}

/** Replaces `${NAME}` (and `${NAME:-default}`) in every string; `$${` escapes a literal `${`. */
export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  path: PropertyKey[] = [],
  missing: string[] = [],
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
        return found;
      },
    );
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, [...path, i], missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, [...path, k], missing)]));
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
  const substituted = substituteEnv(raw, env, [], missing);
  if (missing.length) throw new ConfigError(`${source} refers to unset environment variables`, missing);
  const result = configSchema.safeParse(substituted);
  if (!result.success) throw new ConfigError(`${source} is invalid`, result.error.issues.map(describeIssue));
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
