// Helm values: the tag at a dotted path, and optionally the repository at another. A digest is written
// into the tag value as `tag@digest`, which `{{ .repository }}:{{ .tag }}` templates render correctly.
import { isMap, isSeq, type YAMLMap } from 'yaml';
import type { ManifestTarget } from '../types.js';
import { findPair, type YamlDocument } from './document.js';
import { ManifestTargetError } from './errors.js';
import type { Field } from './fields.js';
import type { LocatedTarget } from './located.js';
import { scalarText } from './scalar.js';

type HelmTarget = Extract<ManifestTarget, { kind: 'helm' }>;

export function locateHelm(docs: YamlDocument[], target: HelmTarget): LocatedTarget {
  const tag = locatePath(docs, target.file, target.tagPath);
  const repository = target.repositoryPath ? locatePath(docs, target.file, target.repositoryPath) : undefined;
  const read = (field: { map: YAMLMap; key: string }, path: string) =>
    scalarText(findPair(field.map, field.key)?.value, () => `${target.file}: helm value "${path}"`);

  return {
    current(fallbackRepository) {
      const repo = repository ? (read(repository, target.repositoryPath ?? '') ?? '') : fallbackRepository;
      if (repo === undefined) {
        throw new ManifestTargetError(
          `${target.file}: helm target "${target.tagPath}" has no repositoryPath, so the repository is unknown`,
        );
      }
      const [tagText = '', digest] = (read(tag, target.tagPath) ?? '').split('@');
      return digest ? { repository: repo, tag: tagText, digest } : { repository: repo, tag: tagText };
    },
    fields(image) {
      const fields: Field[] = [{ ...tag, desired: image.digest ? `${image.tag}@${image.digest}` : image.tag }];
      if (repository) fields.push({ ...repository, desired: image.repository });
      return fields;
    },
  };
}

/** The map and key that a dotted path (`image.tag`, `containers.0.tag`) ends at; the key must exist. */
function locatePath(docs: YamlDocument[], file: string, path: string): { map: YAMLMap; key: string } {
  const segments = path.split('.');
  const key = segments.pop();
  if (!key || segments.some((s) => s === '')) throw new ManifestTargetError(`${file}: bad helm value path "${path}"`);
  const found: { map: YAMLMap; key: string }[] = [];
  for (const doc of docs) {
    let node: unknown = doc.contents;
    for (const segment of segments) {
      if (isMap(node)) node = findPair(node, segment)?.value;
      else if (isSeq(node) && /^\d+$/.test(segment)) node = node.items[Number(segment)];
      else node = undefined;
    }
    if (isMap(node) && findPair(node, key)) found.push({ map: node, key });
  }
  const [match] = found;
  if (!match) throw new ManifestTargetError(`${file}: helm value "${path}" not found`);
  if (found.length > 1) {
    throw new ManifestTargetError(`${file}: helm value "${path}" is ambiguous: found in ${found.length} documents`);
  }
  return match;
}
