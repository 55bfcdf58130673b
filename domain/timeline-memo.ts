// The release timeline as kept in the workflow's memo: what the API answers status and timeline reads from,
// without the worker. Every memo write is a history event, so a timeline that grows past MEMO_TIMELINE_BUDGET is
// shortened (release notes first, then stage details) and says so: the API then asks the worker for the whole one.
// The budget is far under Temporal's per-event memo limit (`limit.memoSize.error`, 2 MiB by default); the server
// logs a warning above `limit.memoSize.warn` (2 KiB by default), which Runway's compose stack and dev server raise.
import type { StageDetailsByKind, StageKind } from './stage-details.js';
import type { ReleaseTimeline } from './types.js';

/** A detail some kind of stage records. */
type AnyStageDetail = { [K in StageKind]: keyof StageDetailsByKind[K] }[StageKind];

export const TIMELINE_MEMO_KEY = 'timeline';
/** Bounds what each memo write adds to the history, leaving room for the MR title and URL kept beside it. */
export const MEMO_TIMELINE_BUDGET = 16 * 1024;

/** Where a timeline answer came from: the worker's query, the memo, or only the search attributes. */
export type TimelineSource = 'worker' | 'memo' | 'search-attributes';

export interface MemoTimeline extends ReleaseTimeline {
  /** Set when notes or stage details were left out to fit the memo. */
  memoTruncated?: true;
}

/** Stage details kept when a timeline must be shortened: what people and renderers look for first. */
const ESSENTIAL_DETAILS: readonly string[] = [
  'image',
  'previousImage',
  'to',
  'decision',
  'decidedBy',
  'summary',
  'error',
  'supersededBy',
] satisfies readonly AnyStageDetail[];

function size(value: unknown): number {
  return JSON.stringify(value).length;
}

/** The timeline to store, within the budget. Pure: runs inside the workflow. */
export function memoTimeline(timeline: ReleaseTimeline, budget = MEMO_TIMELINE_BUDGET): MemoTimeline {
  if (size(timeline) <= budget) return timeline;
  const withoutNotes: MemoTimeline = { ...timeline, notes: undefined, memoTruncated: true };
  if (size(withoutNotes) <= budget) return withoutNotes;
  const essentials: MemoTimeline = {
    ...withoutNotes,
    warnings: withoutNotes.warnings.slice(-10),
    stages: withoutNotes.stages.map((s) => ({
      ...s,
      details: Object.fromEntries(Object.entries(s.details).filter(([k]) => ESSENTIAL_DETAILS.includes(k))),
    })),
  };
  if (size(essentials) <= budget) return essentials;
  // Last resort: the most recent stages only (a very long release), still a valid timeline.
  const stages = essentials.stages.slice();
  while (stages.length > 1 && size({ ...essentials, stages }) > budget) stages.shift();
  return { ...essentials, stages };
}

/** Reads a timeline out of a described workflow's memo, if it holds one. */
export function timelineFromMemo(memo: Record<string, unknown> | undefined): MemoTimeline | undefined {
  const value = memo?.[TIMELINE_MEMO_KEY];
  if (!value || typeof value !== 'object') return undefined;
  const t = value as Partial<MemoTimeline>;
  if (typeof t.releaseId !== 'string' || typeof t.status !== 'string' || !Array.isArray(t.stages)) return undefined;
  return value as MemoTimeline;
}
