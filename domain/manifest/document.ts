// Parsing a manifest file into YAML documents (keeping comments and source ranges) and small lookups on them.
import { isMap, isScalar, parseAllDocuments, type Document, type Pair, type YAMLMap } from 'yaml';
import { ManifestTargetError } from './errors.js';
import type { ManifestTarget } from '../types.js';

export type YamlDocument = Document.Parsed;

export function parseDocuments(text: string, file: string): YamlDocument[] {
  const docs = Array.from(parseAllDocuments(text));
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw new ManifestTargetError(`${file}: not valid YAML: ${error.message.split('\n')[0]}`);
  }
  return docs;
}

/** The pair whose key is the string `key`, if the map has one. */
export function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => isScalar(pair.key) && pair.key.value === key);
}

export function rootMap(doc: YamlDocument): YAMLMap | undefined {
  return isMap(doc.contents) ? doc.contents : undefined;
}

export function describeTarget(target: ManifestTarget): string {
  switch (target.kind) {
    case 'kustomize':
      return `kustomize image "${target.name}"`;
    case 'helm':
      return `helm value "${target.tagPath}"${target.repositoryPath ? ` (repository "${target.repositoryPath}")` : ''}`;
    case 'container': {
      const workload = [target.workloadKind, target.workloadName].filter(Boolean).join('/');
      return `container "${target.container}"${workload ? ` in ${workload}` : ''}`;
    }
  }
}
