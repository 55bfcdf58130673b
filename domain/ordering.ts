// Which of two releases of a service is newer: the target branch's history decides, never arrival.
// Plain functions over plain data, so the lock workflow can use them deterministically.
import type { CommitRelation } from './app-status.js';

export interface OrderedCommit {
  releaseId: string;
  sha: string;
  /** Workflow start time of the release (ms): the last resort when history cannot order the commits. */
  releaseStartedAt: number;
}

/**
 * True when `a` is newer than `b`: `a` descends from `b`; when their histories diverged, the later commit
 * time (a merge commit's date is its merge time); when GitLab cannot say, the later release start.
 */
export function isNewer(a: OrderedCommit, b: OrderedCommit, relation: CommitRelation): boolean {
  switch (relation.relation) {
    case 'same':
      return false;
    case 'descendant':
      return true;
    case 'ancestor':
      return false;
    case 'diverged': {
      const ta = Date.parse(relation.aCommittedAt ?? '');
      const tb = Date.parse(relation.bCommittedAt ?? '');
      if (Number.isFinite(ta) && Number.isFinite(tb) && ta !== tb) return ta > tb;
      return byStart(a, b);
    }
    case 'unknown':
      return byStart(a, b);
  }
}

function byStart(a: OrderedCommit, b: OrderedCommit): boolean {
  if (a.releaseStartedAt !== b.releaseStartedAt) return a.releaseStartedAt > b.releaseStartedAt;
  return a.sha > b.sha; // any fixed tie-break: both sides of the comparison must agree
}

/** Cache key of an ancestry question, identical on replay. */
export function relationKey(projectId: string, a: string, b: string): string {
  return `${projectId} ${a} ${b}`;
}
