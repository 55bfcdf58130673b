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

export const ROLLBACK_ID_PREFIX = 'rollback';

/**
 * One rollback per (service, environment, target tag) at a time: a double click, a retried request or the same
 * command from Slack and REST all land on the running one. After it closed, the same id may run again.
 */
export function rollbackId(service: string, environment: string, tag: string): string {
  return `${ROLLBACK_ID_PREFIX}/${service}/${environment}/${tag}`;
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

/** A full commit id: 40 hex digits (SHA-1 repositories) or 64 (SHA-256 repositories). Short or odd lengths are not. */
export const COMMIT_SHA_PATTERN = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export function isCommitSha(value: unknown): value is string {
  return typeof value === 'string' && COMMIT_SHA_PATTERN.test(value);
}

/**
 * The service a Runway release, deploy or rollback workflow id names, or null when the id is none of Runway's
 * (e.g. `service-lock/<service>`): the API must never read, decide or cancel other workflows.
 */
export function releaseIdService(id: string): string | null {
  const release = /^release\/([a-z0-9][a-z0-9-]{0,62})\/(?:[0-9a-f]{40}|[0-9a-f]{64})$/.exec(id);
  if (release) return release[1]!;
  const deploy = /^deploy\/([a-z0-9][a-z0-9-]{0,62})\/(?:[0-9a-f]{40}|[0-9a-f]{64})\/[\w.-]{1,64}$/.exec(id);
  if (deploy) return deploy[1]!;
  const external = /^external\/([a-z0-9][a-z0-9-]{0,62})\/[a-z0-9][a-z0-9-]{0,62}\/[\x21-\x7e]{1,200}$/.exec(id);
  if (external) return external[1]!;
  const rollback = /^rollback\/([a-z0-9][a-z0-9-]{0,62})\/[a-z0-9][a-z0-9-]{0,62}\/[\x21-\x7e]{1,200}$/.exec(id);
  return rollback ? rollback[1]! : null;
}

export const EXTERNAL_ID_PREFIX = 'external';

/**
 * A deploy Runway did not make (a sync from the Argo CD UI, `argocd app sync`, an auto-sync of someone else's
 * commit), recorded once per revision: the seed recipe's `oncePer: app.status.sync.revision`.
 */
export function externalDeployId(service: string, environment: string, revision: string): string {
  return `${EXTERNAL_ID_PREFIX}/${service}/${environment}/${revision}`;
}
