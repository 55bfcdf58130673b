// The sandbox's runway.yaml: config/sandbox.yaml with the sandbox's overlay merged in (the fakes' URLs and
// secrets, the git infra driver on the local bare repository), validated like any runway.yaml.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, describeIssue, problemsMessage, substituteEnv } from '../config/load.js';
import { SANDBOX_CONFIG_PATH } from '../config/runtime.js';
import { configSchema, type RunwayConfig } from '../config/schema.js';
import type { SandboxConfigOverlay } from './overlay.js';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merge key by key; anything else in the overlay (arrays included) replaces the base value. */
export function mergeOverlay(base: unknown, overlay: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(overlay)) return overlay === undefined ? base : overlay;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) merged[key] = mergeOverlay(base[key], value);
  return merged;
}

export interface SandboxConfigOptions {
  /** The base config; default config/sandbox.yaml. */
  path?: string;
  /** For `${VAR}` substitution in the base file; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export function sandboxConfig(overlay: SandboxConfigOverlay, options: SandboxConfigOptions = {}): RunwayConfig {
  const source = options.path ?? SANDBOX_CONFIG_PATH;
  let raw: unknown;
  try {
    raw = parse(readFileSync(source, 'utf8')) ?? {};
  } catch (err) {
    throw new ConfigError(`cannot read the sandbox config ${source}: ${(err as Error).message}`);
  }
  // Substitute before merging: the overlay holds literal paths and secrets, never `${…}` references.
  const missing: string[] = [];
  const substituted = substituteEnv(raw, options.env ?? process.env, [], missing);
  if (missing.length) throw new ConfigError(`${source} refers to unset environment variables`, missing);
  const merged = mergeOverlay(substituted, overlay);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.flatMap((i) => describeIssue(i, merged));
    throw new ConfigError(problemsMessage(`${source} with the sandbox overlay`, problems), problems);
  }
  return result.data;
}
