// Which earlier version a manual rollback goes to: the version before the current one (default), the version a
// given release deployed to that environment, or any image tag of the service. Pure, so it is unit-tested.
import { TAG_PATTERN } from '../domain/image-ref.js';

/** How the caller's service reports the two ways a target can be refused. */
export interface RollbackRefusals {
  /** Nothing to go back to, or the target is what already runs (409). */
  conflict: (message: string) => Error;
  /** A target the caller can fix: bad tag, unknown release, both given (400). */
  invalid: (message: string) => Error;
}

export interface RollbackTarget {
  /** An image tag of the service's repository (checked against the registry when the rollback starts). */
  tag?: string;
  /** A release (or rollback) whose deploy to this environment is the version to go back to. */
  releaseId?: string;
}

export interface DeployRecord {
  environment: string;
  image: string;
  previousImage?: string;
  releaseId: string;
  commit: string;
  at: string;
}

export interface ChosenVersion {
  repository: string;
  tag: string;
  /** The commit the version was built from (for GitLab's deployment record), when the history knows it. */
  commit?: string;
  /** The image the environment runs now, when known. */
  current?: string;
}

export function splitImage(image: string): [string, string] {
  const at = image.indexOf('@');
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = withoutDigest.lastIndexOf(':');
  if (colon <= withoutDigest.lastIndexOf('/')) return [withoutDigest, 'latest'];
  return [withoutDigest.slice(0, colon), withoutDigest.slice(colon + 1)];
}

/**
 * `history` is this environment's successful deploys, newest first. Throws `invalid(message)` for a target that
 * cannot be (bad tag, release that never deployed here) and `conflict(message)` when there is nothing to go back
 * to or the target is what already runs.
 */
export function chooseRollbackVersion(
  history: readonly DeployRecord[],
  repository: string,
  target: RollbackTarget,
  { conflict, invalid }: RollbackRefusals,
): ChosenVersion {
  if (target.tag !== undefined && target.releaseId !== undefined) {
    throw invalid('give either a tag or a releaseId, not both');
  }
  const current = history[0]?.image;
  let chosen: ChosenVersion;
  if (target.tag !== undefined) {
    if (!TAG_PATTERN.test(target.tag)) throw invalid(`"${target.tag}" is not a valid image tag`);
    const known = history.find((d) => splitImage(d.image)[1] === target.tag);
    chosen = { repository, tag: target.tag, commit: known?.commit, current };
  } else if (target.releaseId !== undefined) {
    const deploy = history.find((d) => d.releaseId === target.releaseId);
    if (!deploy) {
      throw invalid(`${target.releaseId} has no successful deploy in this environment's history`);
    }
    const [repo, tag] = splitImage(deploy.image);
    chosen = { repository: repo, tag, commit: deploy.commit, current };
  } else {
    const previous = history[0]?.previousImage;
    if (!previous) throw conflict('no earlier successful version in this environment');
    const [repo, tag] = splitImage(previous);
    chosen = { repository: repo, tag, commit: history.find((d) => d.image === previous)?.commit, current };
  }
  if (current && splitImage(current)[1] === chosen.tag && splitImage(current)[0] === chosen.repository) {
    throw conflict(alreadyAt(chosen.tag, history[0]!));
  }
  return chosen;
}

/**
 * What every door (REST 409, Slack) answers when asked to roll back to the version that already runs: the same
 * request twice is one rollback.
 */
export function alreadyAt(version: string, current: DeployRecord): string {
  return `already at ${version} since ${current.at} (${current.releaseId}); nothing changed`;
}

/** The environment's current deploy when it runs `image` (`repository:tag`), else undefined. */
export function runningNow(history: readonly DeployRecord[], image: string): DeployRecord | undefined {
  return history[0]?.image === image ? history[0] : undefined;
}
