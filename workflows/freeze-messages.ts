// Signals and query of the freeze registry workflow (workflows/freezes.ts): shared with the API and activities.
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** One registry per task queue (one Runway install), so installs sharing a namespace stay apart. */
export function freezeRegistryId(taskQueue: string): string {
  return `runway-freezes/${taskQueue}`;
}

export interface RuntimeFreeze {
  environment: string;
  reason: string;
  by: string;
  at: string;
  /** ISO; undefined = until unfrozen. */
  until?: string;
}

export interface FreezeRegistryState {
  freezes: RuntimeFreeze[];
}

export const freezeSignal = defineSignal<[RuntimeFreeze]>('freeze');
export const unfreezeSignal = defineSignal<[{ environment: string; by: string }]>('unfreeze');
export const freezesQuery = defineQuery<RuntimeFreeze[]>('freezes');
