// Signals and query of the freeze registry workflow (workflows/freezes.ts): shared with the API and activities.
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const FREEZE_REGISTRY_ID = 'runway-freezes';

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
