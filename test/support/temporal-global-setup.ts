// One real Temporal dev server for the whole test run (started once, shared by every test file),
// and the workflow bundle built once, so each file only starts workers.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../../domain/search-attributes.js';
import { WORKFLOWS_PATH } from '../../worker/create-worker.js';
import { temporalExecutable } from './temporal-cli.js';
import { quietBundleLogger as quietLogger } from '../../worker/bundle-logger.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundleCode: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: temporalExecutable(),
      searchAttributes: [...RUNWAY_SEARCH_ATTRIBUTES],
      extraArgs: [
        ...['--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true'],
        // Release timelines live in the memo (a few KiB each write): no warning per write (docs/api.md).
        ...['--dynamic-config-value', 'limit.memoSize.warn=32768'],
      ],
    },
  });
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  project.provide('temporalAddress', env.address);
  project.provide('workflowBundleCode', bundle.code);
  return async () => {
    await env.teardown();
  };
}
