// Refuses to start a worker whose code lacks a path open runs still need: a retired patch's old path
// (docs/workflows.md, "Retiring a `patched()` branch"). Such a run would fail every workflow task on this version.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { ConfigError } from '../config/load.js';
import {
  ALLOW_RETIRED_PATCH_RUNS_ENV,
  RETIRED_PATCH_RUNS_FIX,
  describeRetiredPatchRuns,
  findRetiredPatchRuns,
  retiredPatchRunsAllowed,
  type RetiredPatchRunsOptions,
} from '../platform/retired-patch-runs.js';

export async function assertNoRetiredPatchRuns(
  client: Client,
  log: Logger,
  options: RetiredPatchRunsOptions & { env?: NodeJS.ProcessEnv },
): Promise<void> {
  let found;
  try {
    found = await findRetiredPatchRuns(client, options);
  } catch (err) {
    // Visibility unavailable is no reason to stop deploys; say what the operator should look at instead.
    log.warn(
      { err: err instanceof Error ? err.message.split('\n')[0] : String(err) },
      'could not ask Temporal for open runs on retired patch paths: see docs/workflows.md, "Retiring a patched() branch"',
    );
    return;
  }
  if (found.length === 0) return;
  const problems = found.map(describeRetiredPatchRuns);
  if (retiredPatchRunsAllowed(options.env)) {
    log.warn({ problems, override: ALLOW_RETIRED_PATCH_RUNS_ENV }, 'starting despite open runs on retired patch paths');
    return;
  }
  throw new ConfigError('open workflow runs need code this version no longer has', [
    ...problems,
    `fix: ${RETIRED_PATCH_RUNS_FIX}`,
  ]);
}
