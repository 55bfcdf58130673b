// Every workflow type the worker registers. Replay tests cover each one.
export { releaseWorkflow, rollbackWorkflow, type ReleaseResult } from './release.js';
export { serviceLockWorkflow } from './service-lock.js';
export { environmentLockWorkflow } from './environment-lock.js';
export { freezeRegistryWorkflow } from './freezes.js';
export { watcherWorkflow } from './watcher.js';
export { externalDeployWorkflow } from './external-deploy.js';
