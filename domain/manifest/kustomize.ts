// kustomization.yaml: an `images[]` entry matched by `name`, holding newName / newTag / digest.
import { isMap, isSeq, type YAMLMap } from 'yaml';
import type { ImageRef, ManifestTarget } from '../types.js';
import { findPair, rootMap, type YamlDocument } from './document.js';
import { ManifestTargetError } from './errors.js';
import type { LocatedTarget } from './located.js';
import { scalarText } from './scalar.js';

type KustomizeTarget = Extract<ManifestTarget, { kind: 'kustomize' }>;

export function locateKustomize(docs: YamlDocument[], target: KustomizeTarget): LocatedTarget {
  const where = `${target.file}: kustomize image "${target.name}"`;
  const names: string[] = [];
  const matches: YAMLMap[] = [];
  for (const doc of docs) {
    const images = rootMap(doc)?.get('images', true);
    if (!isSeq(images)) continue;
    for (const entry of images.items) {
      if (!isMap(entry)) continue;
      const name = scalarText(findPair(entry, 'name')?.value, () => `${target.file}: images[].name`);
      if (name !== undefined) names.push(name);
      if (name === target.name) matches.push(entry);
    }
  }
  const [entry] = matches;
  if (!entry) {
    throw new ManifestTargetError(`${where} not found: images has ${names.length ? names.join(', ') : 'no entries'}`);
  }
  if (matches.length > 1) throw new ManifestTargetError(`${where} is ambiguous: ${matches.length} entries match`);

  const read = (key: string) => scalarText(findPair(entry, key)?.value, () => `${where}: ${key}`);
  return {
    current() {
      const image: ImageRef = { repository: read('newName') ?? target.name, tag: read('newTag') ?? '' };
      const digest = read('digest');
      if (digest !== undefined) image.digest = digest;
      return image;
    },
    fields(image) {
      // newName only when it is needed or already there (then it is updated rather than removed).
      const keepName = read('newName') !== undefined || image.repository !== target.name;
      return [
        { map: entry, key: 'newName', desired: keepName ? image.repository : undefined, after: ['name'] },
        { map: entry, key: 'newTag', desired: image.tag || undefined, after: ['newName', 'name'] },
        { map: entry, key: 'digest', desired: image.digest || undefined, after: ['newTag', 'newName', 'name'] },
      ];
    },
  };
}
