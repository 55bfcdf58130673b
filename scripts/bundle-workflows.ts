// Pre-bundles the workflow code into dist/workflow-bundle.js (or the path given as the first argument).
// The image builds it once so workers start without webpack; worker/create-worker.ts loads it when
// RUNWAY_WORKFLOW_BUNDLE points at it. Usage: `npm run bundle` / `node --import tsx scripts/bundle-workflows.ts`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../worker/create-worker.js';
import { quietBundleLogger as quietLogger } from '../worker/bundle-logger.js';

export const DEFAULT_BUNDLE_PATH = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));

/** Bundles workflows/ and writes the bundle; returns the absolute path and its size in bytes. */
export async function writeWorkflowBundle(outPath = DEFAULT_BUNDLE_PATH): Promise<{ path: string; bytes: number }> {
  // Webpack's progress chatter is noise in a Docker build log; warnings and errors still show.
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  const path = resolve(outPath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, code);
  return { path, bytes: Buffer.byteLength(code) };
}

// Run only when executed directly, so tests can import writeWorkflowBundle.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { path, bytes } = await writeWorkflowBundle(process.argv[2]);
  console.log(`workflow bundle: ${path} (${(bytes / 1024).toFixed(0)} KiB)`);
}
