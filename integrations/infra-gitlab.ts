// InfraRepoPort for an infra repository hosted on GitLab, through the commits API (no clone): read the
// manifest at the branch, edit it, commit one `update` action guarded by the file's last_commit_id.
import { readImage, setImage } from '../domain/manifest/index.js';
import type { ImageRef } from '../domain/types.js';
import type { InfraRepoPort, SetImageRequest, SetImageResult } from '../activities/ports.js';
import { connectGitLab, type GitLabConnection, type GitLabConnectionOptions } from './gitlab-api.js';
import { GitLabError, gitlabFailure } from './gitlab-errors.js';
import { CHANGE_TRAILER, previousImageOf, readTrailers, withRunwayTrailers } from './runway-trailers.js';

export interface GitLabInfraOptions extends GitLabConnectionOptions {
  authorName?: string;
  authorEmail?: string;
}

/** The manifest editing the driver needs: domain/manifest's by default. */
export interface ManifestEditor {
  setImage: typeof setImage;
}

/** Someone else committing to the same file between our read and our write; then we re-read and retry. */
const MAX_ATTEMPTS = 5;
/** How far back a retry looks for its own earlier commit. */
const RECENT_COMMITS = 50;

export function isStaleEdit(err: unknown): boolean {
  const { status, description } = gitlabFailure(err);
  return status === 400 && description.includes('has changed since you started editing it');
}

export function createGitLabInfraRepo(
  options: GitLabInfraOptions,
  manifest: ManifestEditor = { setImage },
): InfraRepoPort {
  const gitlab = connectGitLab(options);
  const { api, call } = gitlab;

  return {
    async currentImage({ location, target, repository }) {
      const file = await call('read manifest', () =>
        api.RepositoryFiles.show(location.repository, target.file, location.branch),
      );
      return readImage(Buffer.from(file.content, 'base64').toString('utf8'), target, repository);
    },

    async setImage(request) {
      const { location, target, image, changeId } = request;
      const project = location.repository;
      const branch = location.branch;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
        const file = await call('read manifest', () => api.RepositoryFiles.show(project, target.file, branch));
        const edit = manifest.setImage(Buffer.from(file.content, 'base64').toString('utf8'), target, image);
        if (!edit.changed) return alreadySet(gitlab, request, edit.previous, file.commit_id);
        try {
          const commit = await api.Commits.create(
            project,
            branch,
            withRunwayTrailers(request.message, changeId, edit.previous),
            [{ action: 'update', filePath: target.file, content: edit.text, lastCommitId: file.last_commit_id }],
            { authorName: options.authorName, authorEmail: options.authorEmail },
          );
          return { changed: true, previous: edit.previous, commitSha: commit.id };
        } catch (err) {
          if (!isStaleEdit(err)) throw gitlab.mapError(err, 'commit manifest');
          // A little jitter, so two writers that collided do not collide again in lockstep.
          if (attempt < MAX_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * attempt));
        }
      }
      throw new GitLabError(
        `${target.file} in ${project}@${branch} kept changing: gave up after ${MAX_ATTEMPTS} attempts`,
      );
    },

    // GitLab's repository merge_base (lib/api/repositories.rb): the ancestor is the merge base of the two.
    async isAncestor(location, ancestor, descendant) {
      if (ancestor === descendant) return true;
      try {
        const base = await api.Repositories.mergeBase(location.repository, [ancestor, descendant]);
        return base.id === ancestor;
      } catch (err) {
        // 400 "Could not find ref": a commit GitLab does not know is not an ancestor of anything known.
        const { status, description } = gitlabFailure(err);
        if (status === 400 && /could not find ref/i.test(description)) return false;
        throw gitlab.mapError(err, 'merge base');
      }
    },
  };
}

/**
 * The file already names the image. If our own commit (found by its change trailer) put it there, this is a
 * retry after a lost response: report what that commit replaced. Otherwise someone else set it.
 */
async function alreadySet(
  { api, call }: GitLabConnection,
  { location, target, changeId }: SetImageRequest,
  current: ImageRef | null,
  head: string,
): Promise<SetImageResult> {
  const commits = await call('list manifest commits', () =>
    api.Commits.all(location.repository, {
      path: target.file,
      refName: location.branch,
      page: 1,
      perPage: RECENT_COMMITS,
    }),
  );
  const ours = commits.find((c) => readTrailers(c.message).get(CHANGE_TRAILER) === changeId);
  return { changed: false, previous: ours ? previousImageOf(ours.message) : current, commitSha: head };
}
