// patched() and deprecatePatch() with the ids of domain/patches.ts: a typo or a call of the wrong stage (asking
// patched() about a retired patch) is a type error, not a history that fails to replay in production.
import { deprecatePatch, patched } from '@temporalio/workflow';
import type { DeprecatedPatchId, LivePatchId } from '../domain/patches.js';

/** True for runs that take the patch's new path (new runs, and old runs whose history has the marker). */
export function isPatched(id: LivePatchId): boolean {
  return patched(id);
}

/**
 * A retired patch: its old path is deleted, every run takes the new one. New runs write a deprecated marker;
 * runs with the marker replay; runs from before the patch no longer replay (the worker's startup guard looks
 * for them). Returns true so a condition can read `… && retiredPatch(id)`.
 */
export function retiredPatch(id: DeprecatedPatchId): true {
  deprecatePatch(id);
  return true;
}
