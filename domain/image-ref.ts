// Image reference strings (`[registry[:port]/]path[:tag][@digest]`) to and from ImageRef: the one home of the
// tag and digest grammar and of the formatting (manifests, registry lookups, rollbacks, workflow details).
// No dependencies, so workflows import it too.
import type { ImageRef } from './types.js';

/** distribution/reference's tag grammar: `[\w][\w.-]{0,127}`. */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** distribution/reference's digest grammar (`algorithm:encoded`). */
export const DIGEST_PATTERN = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]+$/;
const TAG = TAG_PATTERN;
const DIGEST = DIGEST_PATTERN;
const REPOSITORY = /^[^\s:@/][^\s@]*$/;

/** Splits an image string; `tag` is '' when the string names none (a bare repository or only a digest). */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf('@');
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  // A colon before the last slash belongs to a registry port, not to a tag.
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > rest.lastIndexOf('/');
  const image: ImageRef = {
    repository: hasTag ? rest.slice(0, colon) : rest,
    tag: hasTag ? rest.slice(colon + 1) : '',
  };
  if (digest !== undefined) image.digest = digest;
  const problem = hasTag && image.tag === '' ? 'empty tag' : imageRefProblem(image);
  if (problem) throw new TypeError(`invalid image reference "${ref}": ${problem}`);
  return image;
}

/** `repository[:tag][@digest]`: an empty tag is left out, never written as a trailing colon. */
export function formatImageRef(image: ImageRef): string {
  return `${image.repository}${image.tag ? `:${image.tag}` : ''}${image.digest ? `@${image.digest}` : ''}`;
}

/** Why an ImageRef cannot be written into a manifest, or null when it can. */
export function imageRefProblem(image: ImageRef): string | null {
  const { repository } = image;
  // A colon after the last slash would read back as a tag.
  if (!REPOSITORY.test(repository) || repository.lastIndexOf(':') > repository.lastIndexOf('/')) {
    return `bad repository "${repository}"`;
  }
  if (image.tag !== '' && !TAG.test(image.tag)) return `bad tag "${image.tag}"`;
  if (image.digest !== undefined && !DIGEST.test(image.digest)) return `bad digest "${image.digest}"`;
  return null;
}

export function sameImageRef(a: ImageRef | null, b: ImageRef | null): boolean {
  if (a === null || b === null) return a === b;
  return a.repository === b.repository && a.tag === b.tag && (a.digest ?? '') === (b.digest ?? '');
}
