// Reading a timeline stage's details in tests: the details of the kind asked for, or undefined when the stage is
// missing or of another kind (so a test that looks at the wrong stage fails instead of reading another kind's keys).
import type { StageDetailsByKind, StageKind } from '../../domain/stage-details.js';
import type { StageRecord } from '../../domain/types.js';

export function detailsOf<K extends StageKind>(
  stage: StageRecord | undefined,
  kind: K,
): StageDetailsByKind[K] | undefined {
  return stage?.kind === kind ? (stage.details as StageDetailsByKind[K]) : undefined;
}
