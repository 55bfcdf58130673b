// What a release brings to each environment: read the image running there, compare its commit with the
// new one in GitLab, and find each commit's merge request. Read-only; never fails the release (a problem
// becomes `unavailable` in the notes).
import type { InfraRepoLocation, ManifestTarget, ReleaseNotes } from '../domain/types.js';
import { buildReleaseNotes, commitOfTag, type CommitMergeRequest } from '../domain/release-notes.js';
import type { InfraRepoPort, ReleaseNotesPort } from './ports.js';

export interface ReleaseNotesInput {
  projectId: string;
  sha: string;
  imageRepository: string;
  imageTag: string;
  environments: { name: string; location: InfraRepoLocation; target: ManifestTarget }[];
  limit?: number;
}

/** Merge request lookups per environment: one API call each, so bounded. */
const MAX_LOOKUPS = 30;

export async function releaseNotes(
  deps: { notes?: ReleaseNotesPort; infra: (location: InfraRepoLocation) => InfraRepoPort },
  input: ReleaseNotesInput,
): Promise<ReleaseNotes[]> {
  const notesPort = deps.notes;
  if (!notesPort) return [];
  const mrCache = new Map<string, CommitMergeRequest[]>();
  const out: ReleaseNotes[] = [];
  for (const env of input.environments) {
    const base = { environment: env.name, to: input.sha, changes: [], more: 0, commitCount: 0 };
    try {
      const infra = deps.infra(env.location);
      const current = await infra.currentImage({
        location: env.location,
        target: env.target,
        repository: input.imageRepository,
      });
      if (!current) {
        out.push({ ...base, unavailable: `the version running in ${env.name} is unknown` });
        continue;
      }
      if (current.tag === input.imageTag) {
        out.push({ ...base, from: current.tag });
        continue;
      }
      const from = commitOfTag(current.tag) ?? current.tag;
      const compared = await notesPort.compare(input.projectId, from, input.sha);
      for (const commit of compared.commits.slice(-MAX_LOOKUPS)) {
        if (!mrCache.has(commit.id))
          mrCache.set(commit.id, await notesPort.mergeRequestsOf(input.projectId, commit.id));
      }
      out.push(
        buildReleaseNotes({
          environment: env.name,
          from,
          to: input.sha,
          commits: compared.commits,
          mergeRequests: mrCache,
          compareUrl: compared.webUrl,
          limit: input.limit,
        }),
      );
    } catch (err) {
      out.push({ ...base, unavailable: (err as Error).message.slice(0, 300) });
    }
  }
  return out;
}
