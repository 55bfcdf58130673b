// Release notes from a compare: the changes (merge requests first, then commits without one), capped
// with a "+N more" count, plus every commit's authored time for DORA lead time.
import type { ReleaseChange, ReleaseNotes } from './types.js';

export interface CompareCommit {
  id: string;
  title: string;
  author: string;
  authoredAt: string;
  url?: string;
}

export interface CommitMergeRequest {
  iid: number;
  title: string;
  author?: string;
  url: string;
}

export const DEFAULT_NOTES_LIMIT = 10;
const MAX_COMMIT_DATES = 250;

/** Whether an image tag names a commit (then release notes compare from it). */
export function commitOfTag(tag: string): string | undefined {
  return /^[0-9a-f]{7,40}$/i.test(tag) ? tag.toLowerCase() : undefined;
}

export function buildReleaseNotes(input: {
  environment: string;
  from: string;
  to: string;
  commits: CompareCommit[];
  /** Merge requests per commit id (commits not looked up are absent). */
  mergeRequests: Map<string, CommitMergeRequest[]>;
  compareUrl?: string;
  limit?: number;
}): ReleaseNotes {
  const limit = input.limit ?? DEFAULT_NOTES_LIMIT;
  const byMr = new Map<number, ReleaseChange>();
  const lone: ReleaseChange[] = [];
  for (const commit of input.commits) {
    // A merge commit belongs to its MR too; the MR's first commit is the oldest one seen.
    const mr = input.mergeRequests.get(commit.id)?.[0];
    if (mr) {
      const existing = byMr.get(mr.iid);
      if (!existing) {
        byMr.set(mr.iid, {
          ref: `!${mr.iid}`,
          title: mr.title,
          author: mr.author,
          url: mr.url,
          firstCommitAt: commit.authoredAt,
        });
      } else if (commit.authoredAt && (!existing.firstCommitAt || commit.authoredAt < existing.firstCommitAt)) {
        existing.firstCommitAt = commit.authoredAt;
      }
    } else {
      lone.push({
        ref: commit.id.slice(0, 8),
        title: commit.title,
        author: commit.author,
        url: commit.url,
        firstCommitAt: commit.authoredAt,
      });
    }
  }
  // Newest first reads best in a message: compare lists oldest first.
  const all = [...[...byMr.values()].reverse(), ...lone.reverse()];
  return {
    environment: input.environment,
    from: input.from,
    to: input.to,
    changes: all.slice(0, limit),
    more: Math.max(0, all.length - limit),
    commitCount: input.commits.length,
    compareUrl: input.compareUrl,
    commitDates: input.commits
      .slice(-MAX_COMMIT_DATES)
      .map((c) => c.authoredAt)
      .filter(Boolean),
  };
}

/** Markdown lines (GitLab MR comment) for one environment's notes. */
export function notesMarkdown(notes: ReleaseNotes): string[] {
  if (notes.unavailable) return [`**${notes.environment}**: no release notes (${notes.unavailable})`];
  if (notes.commitCount === 0) return [`**${notes.environment}**: already runs this version's changes`];
  const lines = [
    `**What this brings to ${notes.environment}** (${notes.commitCount} commit${notes.commitCount === 1 ? '' : 's'}):`,
  ];
  for (const c of notes.changes) {
    const ref = c.url ? `[${c.ref}](${c.url})` : c.ref;
    lines.push(`- ${ref} ${c.title}${c.author ? ` (${c.author})` : ''}`);
  }
  if (notes.more > 0)
    lines.push(`- ${notes.compareUrl ? `[+${notes.more} more](${notes.compareUrl})` : `+${notes.more} more`}`);
  return lines;
}
