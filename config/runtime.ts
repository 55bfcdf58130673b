// Which config a process runs with: $RUNWAY_CONFIG, else ./runway.yaml. Without either, only `make dev`
// (scripts/dev-runway.ts) falls back to the embedded sandbox; every production process refuses to start.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './load.js';
import type { RunwayConfig } from './schema.js';

export const SANDBOX_CONFIG_PATH = fileURLToPath(new URL('./sandbox.yaml', import.meta.url));

export function resolveConfigPath(env: NodeJS.ProcessEnv = process.env): { path: string; sandbox: boolean } {
  if (env.RUNWAY_CONFIG) return { path: env.RUNWAY_CONFIG, sandbox: false };
  if (existsSync('runway.yaml')) return { path: 'runway.yaml', sandbox: false };
  return { path: SANDBOX_CONFIG_PATH, sandbox: true };
}

/** For `make dev` only: the sandbox when there is no config. */
export function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env): {
  config: RunwayConfig;
  path: string;
  sandbox: boolean;
} {
  const { path, sandbox } = resolveConfigPath(env);
  return { config: loadConfig(path, env), path, sandbox };
}

/** The sentence a process without a config stops with: where it looked, and what to do. */
export function noConfigMessage(cwd: string = process.cwd()): string {
  return (
    `no config: RUNWAY_CONFIG is unset and ${resolve(cwd, 'runway.yaml')} does not exist. ` +
    'Set RUNWAY_CONFIG to your runway.yaml (docs/configuration.md); the sandbox runs only with `make dev`'
  );
}

/** For the worker, the API and `runway check`: a real config, or a ConfigError saying where it looked. */
export function loadProductionConfig(env: NodeJS.ProcessEnv = process.env): { config: RunwayConfig; path: string } {
  const { path, sandbox } = resolveConfigPath(env);
  if (sandbox) throw new ConfigError(noConfigMessage());
  return { config: loadConfig(path, env), path };
}
