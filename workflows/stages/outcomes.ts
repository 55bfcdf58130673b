// How a release ends early: a failure (compensated) or a decision (not compensated), and the helpers that
// keep side steps (reports, notifications) from failing a release.
import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { ReleaseStatus, ReleaseTimeline } from '../../domain/types.js';
import type { TimelineRecorder } from '../timeline.js';
import type { ReleaseContext } from './context.js';

export interface ReleaseResult {
  status: ReleaseStatus;
  timeline: ReleaseTimeline;
}

export function releaseResult(ctx: ReleaseContext): ReleaseResult {
  return { status: ctx.rec.timeline.status, timeline: ctx.rec.timeline };
}

/** A failure of the release itself (not a bug): it ends the release, after compensation. */
export class ReleaseFailure extends Error {}

/** An ending that is a decision, not a failure: rejected, expired, superseded. Nothing is compensated. */
export class ReleaseEnded extends Error {
  constructor(
    readonly status: 'rejected' | 'expired' | 'superseded',
    message: string,
  ) {
    super(message);
  }
}

/** The ending for a release a newer one has overtaken. */
export function superseded(ctx: ReleaseContext): ReleaseEnded {
  const { locks } = ctx;
  const where = locks.supersededIn ? ` (a newer commit owns ${locks.supersededIn})` : '';
  return new ReleaseEnded('superseded', `superseded by ${locks.supersededBy}${where}`);
}

/** Runs a step whose failure is only a warning in the timeline; cancellation still propagates. */
export async function tryStep(rec: TimelineRecorder, what: string, step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (err) {
    if (isCancellation(err)) throw err;
    rec.warn(`${what} failed: ${errorMessage(err)}`);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApplicationFailure || !(err instanceof Error)) return String((err as Error)?.message ?? err);
  // ActivityFailure wraps the real cause.
  const cause = (err as Error & { cause?: Error }).cause;
  return cause?.message ? cause.message : err.message;
}
