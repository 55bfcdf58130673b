// A container (or init container) of a workload, chosen by name, optionally within one workload kind/name.
import { isMap, isSeq, type YAMLMap } from 'yaml';
import type { ImageRef, ManifestTarget } from '../types.js';
import { findPair, rootMap, type YamlDocument } from './document.js';
import { ManifestTargetError } from './errors.js';
import { formatImageRef, parseImageRef } from '../image-ref.js';
import type { LocatedTarget } from './located.js';
import { scalarText } from './scalar.js';

type ContainerTarget = Extract<ManifestTarget, { kind: 'container' }>;

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  Pod: ['spec'],
};

interface Workload {
  kind: string;
  name: string;
  label: string;
  containers: { name: string; map: YAMLMap }[];
}

export function locateContainer(docs: YamlDocument[], target: ContainerTarget): LocatedTarget {
  const workloads = docs.flatMap((doc) => workloadOf(doc, target.file)).filter((w) => selects(target, w));
  const matches = workloads.flatMap((w) =>
    w.containers.filter((c) => c.name === target.container).map((c) => ({ ...c, workload: w.label })),
  );
  const where = `${target.file}: container "${target.container}"`;
  const [match] = matches;
  if (!match) {
    const seen = workloads.map((w) => `${w.label} (${w.containers.map((c) => c.name).join(', ') || 'no containers'})`);
    const scope = [target.workloadKind, target.workloadName].filter(Boolean).join('/');
    throw new ManifestTargetError(
      `${where} not found${scope ? ` in ${scope}` : ''}: ${seen.length ? `found ${seen.join('; ')}` : 'no matching workloads'}`,
    );
  }
  if (matches.length > 1) {
    throw new ManifestTargetError(
      `${where} is ambiguous: it is in ${matches.map((m) => m.workload).join(', ')}; set workloadKind/workloadName`,
    );
  }

  return {
    current() {
      const text = scalarText(findPair(match.map, 'image')?.value, () => `${where}: image`);
      if (text === undefined) return null;
      try {
        return parseImageRef(text);
      } catch (error) {
        throw new ManifestTargetError(`${where} in ${match.workload}: ${(error as Error).message}`);
      }
    },
    fields: (image: ImageRef) => [{ map: match.map, key: 'image', desired: formatImageRef(image) }],
  };
}

function workloadOf(doc: YamlDocument, file: string): Workload[] {
  const root = rootMap(doc);
  const kind = root && scalarText(findPair(root, 'kind')?.value, () => `${file}: kind`);
  const path = kind === undefined ? undefined : POD_SPEC_PATHS[kind];
  if (!root || !kind || !path) return [];
  const name = scalarText(root.getIn(['metadata', 'name'], true), () => `${file}: metadata.name`) ?? '';
  const podSpec = root.getIn(path, true);
  const containers: Workload['containers'] = [];
  for (const list of ['initContainers', 'containers']) {
    const items = isMap(podSpec) ? podSpec.get(list, true) : undefined;
    if (!isSeq(items)) continue;
    for (const item of items.items) {
      if (!isMap(item)) continue;
      const containerName = scalarText(findPair(item, 'name')?.value, () => `${file}: ${kind}/${name} ${list}[].name`);
      if (containerName !== undefined) containers.push({ name: containerName, map: item });
    }
  }
  return [{ kind, name, label: `${kind}/${name}`, containers }];
}

function selects(target: ContainerTarget, workload: Workload): boolean {
  if (target.workloadKind && target.workloadKind.toLowerCase() !== workload.kind.toLowerCase()) return false;
  return !target.workloadName || target.workloadName === workload.name;
}
