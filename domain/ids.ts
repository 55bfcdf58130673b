// Stable identities: the same service + commit always maps to the same workflow, which is what makes
// webhook redeliveries harmless.

export const RELEASE_ID_PREFIX = 'release';

export function releaseId(service: string, sha: string): string {
  return `${RELEASE_ID_PREFIX}/${service}/${sha.toLowerCase()}`;
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

/** The lock of one environment of a service (`environmentLockWorkflow`). */
export function environmentLockId(service: string, environment: string): string {
  return `service-lock/${service}/${environment}`;
}

/** A full commit id: 40 hex digits (SHA-1 repositories) or 64 (SHA-256 repositories). Short or odd lengths are not. */
export const COMMIT_SHA_PATTERN = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const SHA = '(?:[0-9a-f]{40}|[0-9a-f]{64})';

export function isCommitSha(value: unknown): value is string {
  return typeof value === 'string' && COMMIT_SHA_PATTERN.test(value);
}

/** Service, environment and Argo CD instance names (runway.yaml), and what the REST API accepts for them. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const NAME = '[a-z0-9][a-z0-9-]{0,62}';

export const DEPLOY_ID_PREFIX = 'deploy';

/** An on-demand deploy (`/runway deploy`, `POST …/deploy`): its own id, so a commit can be deployed again. */
export function deployId(service: string, sha: string, request: string): string {
  return `${DEPLOY_ID_PREFIX}/${service}/${sha}/${request}`;
}

/** A rollback to a version given by the user (`/runway rollback … to <version>`), resolved to its commit. */
export function rollbackToId(service: string, environment: string, sha: string): string {
  return `${ROLLBACK_ID_PREFIX}/${service}/${environment}/to/${sha}`;
}

export type ReleaseIdKind = 'release' | 'deploy' | 'rollback';

/** Which of Runway's workflows an id belongs to, by its prefix alone (what workflows use: pure, cheap). */
export function releaseIdKind(id: string): ReleaseIdKind | undefined {
  const prefix = id.slice(0, id.indexOf('/'));
  return prefix === RELEASE_ID_PREFIX || prefix === DEPLOY_ID_PREFIX || prefix === ROLLBACK_ID_PREFIX
    ? prefix
    : undefined;
}

export type ParsedReleaseId =
  | { kind: 'release'; service: string; sha: string }
  | { kind: 'deploy'; service: string; sha: string; request: string }
  | { kind: 'rollback'; service: string; environment: string; target: string };

const RELEASE_RE = new RegExp(`^release/(${NAME})/(${SHA})$`);
const DEPLOY_RE = new RegExp(`^deploy/(${NAME})/(${SHA})/([\\w.-]{1,64})$`);
const ROLLBACK_RE = new RegExp(`^rollback/(${NAME})/(${NAME})/([\\x21-\\x7e]{1,200})$`);

/** The parts of a release, deploy or rollback id exactly as the builders above make them; null for any other id. */
export function parseReleaseId(id: string): ParsedReleaseId | null {
  let m = RELEASE_RE.exec(id);
  if (m) return { kind: 'release', service: m[1]!, sha: m[2]! };
  m = DEPLOY_RE.exec(id);
  if (m) return { kind: 'deploy', service: m[1]!, sha: m[2]!, request: m[3]! };
  m = ROLLBACK_RE.exec(id);
  return m ? { kind: 'rollback', service: m[1]!, environment: m[2]!, target: m[3]! } : null;
}

/**
 * The service a Runway release, deploy or rollback workflow id names, or null when the id is none of Runway's
 * (e.g. `service-lock/<service>`): the API must never read, decide or cancel other workflows.
 */
export function releaseIdService(id: string): string | null {
  return parseReleaseId(id)?.service ?? null;
}
