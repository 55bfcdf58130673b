// webpack's bundling report is long and says nothing when all is well: keep only warnings and errors.
import type { Logger } from '@temporalio/worker';

export const quietBundleLogger: Logger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
