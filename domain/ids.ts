// Stable identities: the same service + commit always maps to the same workflow, which is what makes
// webhook redeliveries harmless.

export const RELEASE_ID_PREFIX = 'release';

export function releaseId(service: string, sha: string): string {
  return `${RELEASE_ID_PREFIX}/${service}/${sha.toLowerCase()}`;
}

export function parseReleaseId(id: string): { service: string; sha: string } | null {
  const m = /^release\/([a-z0-9][a-z0-9-]*)\/([0-9a-f]{7,64})$/.exec(id);
  return m ? { service: m[1]!, sha: m[2]! } : null;
}

export function serviceLockId(service: string): string {
  return `service-lock/${service}`;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 8);
}

export function imageToString(image: { repository: string; tag: string; digest?: string }): string {
  return `${image.repository}:${image.tag}${image.digest ? `@${image.digest}` : ''}`;
}

/** The lock of one environment of a service (`environmentLockWorkflow`). */
export function environmentLockId(service: string, environment: string): string {
  return `service-lock/${service}/${environment}`;
}
