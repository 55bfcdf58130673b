// Which config a process runs with: $RUNWAY_CONFIG, else ./runway.yaml, else the embedded sandbox.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './load.js';
import type { RunwayConfig } from './schema.js';

export const SANDBOX_CONFIG_PATH = fileURLToPath(new URL('./sandbox.yaml', import.meta.url));

export function resolveConfigPath(env: NodeJS.ProcessEnv = process.env): { path: string; sandbox: boolean } {
  if (env.RUNWAY_CONFIG) return { path: env.RUNWAY_CONFIG, sandbox: false };
  if (existsSync('runway.yaml')) return { path: 'runway.yaml', sandbox: false };
  return { path: SANDBOX_CONFIG_PATH, sandbox: true };
}

export function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env): {
  config: RunwayConfig;
  path: string;
  sandbox: boolean;
} {
  const { path, sandbox } = resolveConfigPath(env);
  return { config: loadConfig(path, env), path, sandbox };
}
