// Splits an image repository into registry host and repository name the way the Docker CLI does,
// and checks names, tags and digests against the OCI distribution grammar before anything is sent.
import { DIGEST_PATTERN, TAG_PATTERN } from '../domain/image-ref.js';

export const DOCKER_HUB_HOST = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

const NAME_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME_RE = new RegExp(`^${NAME_COMPONENT}(?:/${NAME_COMPONENT})*$`);
const SHA256_RE = /^sha256:[a-f0-9]{64}$/;
// host[:port] or [ipv6][:port]; keeps anything URL-like (schemes, paths, credentials) out.
const HOST_RE =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;

export class InvalidImageReferenceError extends Error {
  override name = 'InvalidImageReference';
}

export interface ImageLocation {
  /** Host (and port) the distribution API is served on, e.g. `registry-1.docker.io`, `localhost:5000`. */
  host: string;
  /** Repository name inside that registry, e.g. `library/nginx`, `group/sub/app`. */
  name: string;
}

/** The host requests go to: Docker Hub's aliases all mean `registry-1.docker.io`. */
export function canonicalRegistryHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB_HOST : lower;
}

/** A first path segment is a registry host when it looks like one: has a dot or port, or is `localhost`. */
function looksLikeHost(segment: string): boolean {
  return segment.includes('.') || segment.includes(':') || segment === 'localhost' || segment !== segment.toLowerCase();
}

export function splitRepository(repository: string): ImageLocation {
  const slash = repository.indexOf('/');
  const first = slash === -1 ? '' : repository.slice(0, slash);
  let host: string;
  let name: string;
  if (slash !== -1 && looksLikeHost(first)) {
    if (!HOST_RE.test(first)) throw new InvalidImageReferenceError(`invalid registry host in "${repository}"`);
    host = canonicalRegistryHost(first);
    name = repository.slice(slash + 1);
  } else {
    host = DOCKER_HUB_HOST;
    name = repository;
  }
  // Official Docker Hub images live under `library/`.
  if (host === DOCKER_HUB_HOST && !name.includes('/')) name = `library/${name}`;
  if (!NAME_RE.test(name) || name.length > 255) {
    throw new InvalidImageReferenceError(
      `invalid repository name "${name}" in "${repository}": lower-case letters, digits and separators (. _ __ -) only`,
    );
  }
  return { host, name };
}

export function validateTag(tag: string): void {
  if (!TAG_PATTERN.test(tag)) {
    throw new InvalidImageReferenceError(
      `invalid tag "${tag}": at most 128 characters of letters, digits, _ . - and not starting with . or -`,
    );
  }
}

export function validateDigest(digest: string): void {
  if (!DIGEST_PATTERN.test(digest) || (digest.startsWith('sha256:') && !SHA256_RE.test(digest))) {
    throw new InvalidImageReferenceError(`invalid digest "${digest}": expected algorithm:hex, e.g. sha256:<64 hex>`);
  }
}
