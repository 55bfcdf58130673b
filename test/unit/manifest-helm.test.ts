import { describe, expect, it } from 'vitest';
import { ManifestTargetError, readImage, setImage } from '../../domain/manifest/index.js';
import type { ManifestTarget } from '../../domain/types.js';

const values = `# Helm values for payments
replicaCount: 2
image:
  # where the image comes from
  repository: registry.example.com/payments
  tag: "1.4.2" # set by Runway
  pullPolicy: IfNotPresent
worker:
  image:
    tag: 1.10
`;
const target: ManifestTarget = {
  kind: 'helm',
  file: 'values.yaml',
  tagPath: 'image.tag',
  repositoryPath: 'image.repository',
};

describe('helm values', () => {
  it('sets tag and repository at dotted paths', () => {
    const edit = setImage(values, target, { repository: 'localhost:5000/payments', tag: '1.5.0' });
    expect(edit.previous).toEqual({ repository: 'registry.example.com/payments', tag: '1.4.2' });
    expect(edit.text).toBe(
      values
        .replace('repository: registry.example.com/payments', 'repository: localhost:5000/payments')
        .replace('"1.4.2"', '"1.5.0"'),
    );
  });

  it('reads a plain float-looking tag as written and rewrites it as a string', () => {
    const worker: ManifestTarget = { kind: 'helm', file: 'values.yaml', tagPath: 'worker.image.tag' };
    expect(readImage(values, worker, 'registry.example.com/worker')).toEqual({
      repository: 'registry.example.com/worker',
      tag: '1.10',
    });
    const edit = setImage(values, worker, { repository: 'registry.example.com/worker', tag: '1.10' });
    expect(edit.changed).toBe(true);
    expect(edit.text).toBe(values.replace('tag: 1.10', 'tag: "1.10"'));
    expect(setImage(edit.text, worker, { repository: 'x', tag: '1.10' }).changed).toBe(false);
  });

  it('writes a digest into the tag value', () => {
    const edit = setImage(values, target, {
      repository: 'registry.example.com/payments',
      tag: '2',
      digest: 'sha256:abcd',
    });
    expect(edit.text).toBe(values.replace('"1.4.2"', '"2@sha256:abcd"'));
    expect(readImage(edit.text, target)).toEqual({
      repository: 'registry.example.com/payments',
      tag: '2',
      digest: 'sha256:abcd',
    });
  });

  it('fills an empty tag and keeps the rest byte-identical', () => {
    const empty = 'image:\n  repository: app\n  tag:\n  pullPolicy: Always\n';
    const edit = setImage(
      empty,
      { kind: 'helm', file: 'v.yaml', tagPath: 'image.tag' },
      { repository: 'app', tag: 'v3' },
    );
    expect(edit.previous).toEqual({ repository: 'app', tag: '' });
    expect(edit.text).toBe('image:\n  repository: app\n  tag: v3\n  pullPolicy: Always\n');
  });

  it('follows numeric segments into sequences', () => {
    const list = 'jobs:\n  - name: a\n    tag: v1\n';
    const edit = setImage(
      list,
      { kind: 'helm', file: 'v.yaml', tagPath: 'jobs.0.tag' },
      { repository: 'r', tag: 'v2' },
    );
    expect(edit.text).toBe('jobs:\n  - name: a\n    tag: v2\n');
  });

  it('throws for a missing path, naming file and path', () => {
    const missing: ManifestTarget = { kind: 'helm', file: 'values.yaml', tagPath: 'image.version' };
    expect(() => setImage(values, missing, { repository: 'r', tag: '1' })).toThrow(ManifestTargetError);
    expect(() => setImage(values, missing, { repository: 'r', tag: '1' })).toThrow(
      'values.yaml: helm value "image.version" not found',
    );
  });

  it('needs a repository from somewhere to read', () => {
    expect(() => readImage(values, { kind: 'helm', file: 'values.yaml', tagPath: 'image.tag' })).toThrow(
      /no repositoryPath/,
    );
  });
});
