// ReleaseNotesPort over GitLab's REST API (gitbeaker): repository compare (lib/api/repositories.rb) and the
// merge requests of a commit (lib/api/commits.rb `commits/:sha/merge_requests`).
import type { ReleaseNotesPort } from '../activities/ports.js';
import { connectGitLab, type GitLabConnectionOptions } from './gitlab-api.js';

export function createGitLabReleaseNotes(options: GitLabConnectionOptions): ReleaseNotesPort {
  const { api, call } = connectGitLab(options);
  return {
    async compare(projectId, from, to) {
      const result = await call('compare', () => api.Repositories.compare(projectId, from, to));
      const commits = (result.commits ?? []) as unknown as Record<string, unknown>[];
      return {
        commits: commits.map((c) => ({
          id: String(c.id),
          title: text(c.title),
          author: text(c.author_name),
          authoredAt: text(c.authored_date) || text(c.created_at),
          url: typeof c.web_url === 'string' ? c.web_url : undefined,
        })),
        webUrl: typeof result.web_url === 'string' ? result.web_url : undefined,
      };
    },
    async mergeRequestsOf(projectId, sha) {
      const mrs = await call('commit merge requests', () => api.Commits.allMergeRequests(projectId, sha));
      // GitLab lists every MR that holds the commit, in any state, newest first (MergeRequest
      // .by_related_commit_sha): a closed or still-open MR with the same commit would otherwise be named.
      return mrs
        .filter((mr) => mr.state === 'merged')
        .map((mr) => ({
          iid: mr.iid,
          title: mr.title,
          author: (mr.author as { username?: string } | undefined)?.username,
          url: mr.web_url,
        }));
    },
  };
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
