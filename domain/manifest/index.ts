// Setting and reading the deployed image in a manifest file, keeping comments and formatting.
import type { ImageRef, ManifestTarget } from '../types.js';
import { locateContainer } from './container.js';
import { describeTarget, parseDocuments, type YamlDocument } from './document.js';
import { ManifestTargetError } from './errors.js';
import { locateHelm } from './helm.js';
import { imageRefProblem } from '../image-ref.js';
import { locateKustomize } from './kustomize.js';
import type { LocatedTarget } from './located.js';
import { rewrite } from './patch.js';

export { ManifestTargetError } from './errors.js';
export { formatImageRef, parseImageRef, sameImageRef } from '../image-ref.js';

export interface ManifestEdit {
  /** The new file text; byte-identical to the input when nothing changed. */
  text: string;
  changed: boolean;
  /** The image the file named before the edit (for rollback); null when it named none. */
  previous: ImageRef | null;
}

/** Points `target` at `image`. Throws ManifestTargetError when the target is missing or ambiguous. */
export function setImage(text: string, target: ManifestTarget, image: ImageRef): ManifestEdit {
  const problem = imageRefProblem(image);
  if (problem) throw new TypeError(`cannot set ${describeTarget(target)} in ${target.file}: ${problem}`);
  // A helm file without a repository path cannot say which repository it runs: it is the one being set.
  const previous = locate(parseDocuments(text, target.file), target).current(image.repository);
  const result = rewrite(text, target.file, (docs) => locate(docs, target).fields(image));
  return { ...result, previous };
}

/** The image `target` names; `fallbackRepository` fills in for helm targets without a repository path. */
export function readImage(text: string, target: ManifestTarget, fallbackRepository?: string): ImageRef {
  const image = locate(parseDocuments(text, target.file), target).current(fallbackRepository);
  if (!image) throw new ManifestTargetError(`${target.file}: ${describeTarget(target)} names no image`);
  return image;
}

function locate(docs: YamlDocument[], target: ManifestTarget): LocatedTarget {
  switch (target.kind) {
    case 'kustomize':
      return locateKustomize(docs, target);
    case 'helm':
      return locateHelm(docs, target);
    case 'container':
      return locateContainer(docs, target);
  }
}
