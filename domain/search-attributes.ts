// Typed search attributes that make releases findable in the Temporal UI
// (e.g. `RunwayService = "payments" AND RunwayStatus = "awaiting_approval"`).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const RunwayService = defineSearchAttributeKey('RunwayService', SearchAttributeType.KEYWORD);
export const RunwayEnvironment = defineSearchAttributeKey('RunwayEnvironment', SearchAttributeType.KEYWORD);
export const RunwayStage = defineSearchAttributeKey('RunwayStage', SearchAttributeType.KEYWORD);
export const RunwayStatus = defineSearchAttributeKey('RunwayStatus', SearchAttributeType.KEYWORD);
export const RunwayCommit = defineSearchAttributeKey('RunwayCommit', SearchAttributeType.KEYWORD);
export const RunwayMergeRequest = defineSearchAttributeKey('RunwayMergeRequest', SearchAttributeType.INT);

export const RUNWAY_SEARCH_ATTRIBUTES = [
  RunwayService,
  RunwayEnvironment,
  RunwayStage,
  RunwayStatus,
  RunwayCommit,
  RunwayMergeRequest,
] as const;

/** `--search-attribute` flags for `temporal server start-dev`. */
export function devServerSearchAttributeFlags(): string[] {
  return RUNWAY_SEARCH_ATTRIBUTES.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${key.type === SearchAttributeType.INT ? 'Int' : 'Keyword'}`,
  ]);
}
