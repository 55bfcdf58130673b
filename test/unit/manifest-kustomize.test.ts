import { describe, expect, it } from 'vitest';
import { ManifestTargetError, readImage, setImage } from '../../domain/manifest/index.js';
import type { ManifestTarget } from '../../domain/types.js';

const file = `# Production overlay
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
images:
# the payments service
- name: registry.example.com/payments # main image
  newTag: "1.4.2" # bumped by Runway
- name: sidecar
  newName: mirror.example.com/sidecar
  newTag: v1
  digest: sha256:aaaa
`;
const target: ManifestTarget = {
  kind: 'kustomize',
  file: 'envs/prod/kustomization.yaml',
  name: 'registry.example.com/payments',
};
const sidecar: ManifestTarget = { ...target, name: 'sidecar' };

describe('kustomize images[]', () => {
  it('changes only the tag line, keeping its quotes and comment', () => {
    const edit = setImage(file, target, { repository: 'registry.example.com/payments', tag: '1.5.0' });
    expect(edit.changed).toBe(true);
    expect(edit.previous).toEqual({ repository: 'registry.example.com/payments', tag: '1.4.2' });
    expect(edit.text).toBe(file.replace('newTag: "1.4.2"', 'newTag: "1.5.0"'));
  });

  it('adds newName (after name) when the repository differs, and a digest', () => {
    const edit = setImage(file, target, { repository: 'localhost:5000/payments', tag: '2', digest: 'sha256:bbbb' });
    expect(edit.text).toBe(
      file.replace(
        '- name: registry.example.com/payments # main image\n  newTag: "1.4.2" # bumped by Runway\n',
        '- name: registry.example.com/payments # main image\n  newName: localhost:5000/payments\n' +
          '  newTag: "2" # bumped by Runway\n  digest: sha256:bbbb\n',
      ),
    );
    expect(readImage(edit.text, target)).toEqual({
      repository: 'localhost:5000/payments',
      tag: '2',
      digest: 'sha256:bbbb',
    });
  });

  it('removes a stale digest and keeps an existing newName', () => {
    const edit = setImage(file, sidecar, { repository: 'mirror.example.com/sidecar', tag: 'v2' });
    expect(edit.previous).toEqual({ repository: 'mirror.example.com/sidecar', tag: 'v1', digest: 'sha256:aaaa' });
    expect(edit.text).toBe(file.replace('  newTag: v1\n  digest: sha256:aaaa\n', '  newTag: v2\n'));
  });

  it('rolls back to the previous image exactly', () => {
    const forward = setImage(file, sidecar, { repository: 'sidecar', tag: 'v2' });
    const back = setImage(forward.text, sidecar, forward.previous!);
    expect(back.text).toBe(file);
  });

  it('is a byte-identical no-op when already at the image', () => {
    const edit = setImage(file, target, { repository: 'registry.example.com/payments', tag: '1.4.2' });
    expect(edit).toEqual({
      text: file,
      changed: false,
      previous: { repository: 'registry.example.com/payments', tag: '1.4.2' },
    });
  });

  it('writes into a flow-style entry', () => {
    const flow = 'images: [{name: app, newTag: v1}] # flow\n';
    const edit = setImage(flow, { kind: 'kustomize', file: 'k.yaml', name: 'app' }, { repository: 'app', tag: '1.10' });
    expect(edit.text).toBe('images: [{name: app, newTag: "1.10"}] # flow\n');
    const withDigest = setImage(
      flow,
      { kind: 'kustomize', file: 'k.yaml', name: 'app' },
      { repository: 'app', tag: 'v1', digest: 'sha256:ff' },
    );
    expect(readImage(withDigest.text, { kind: 'kustomize', file: 'k.yaml', name: 'app' })).toEqual({
      repository: 'app',
      tag: 'v1',
      digest: 'sha256:ff',
    });
    expect(withDigest.text).toContain('# flow');
  });

  it('names the file, the target and the problem when the entry is missing', () => {
    const missing = { ...target, name: 'nope' };
    expect(() => setImage(file, missing, { repository: 'nope', tag: '1' })).toThrow(ManifestTargetError);
    expect(() => setImage(file, missing, { repository: 'nope', tag: '1' })).toThrow(
      'envs/prod/kustomization.yaml: kustomize image "nope" not found: images has registry.example.com/payments, sidecar',
    );
  });

  it('rejects an ambiguous entry', () => {
    const twice = 'images:\n- name: app\n  newTag: a\n- name: app\n  newTag: b\n';
    expect(() =>
      setImage(twice, { kind: 'kustomize', file: 'k.yaml', name: 'app' }, { repository: 'app', tag: 'c' }),
    ).toThrow(/k\.yaml: kustomize image "app" is ambiguous/);
  });

  it('reports invalid YAML as a target error', () => {
    expect(() => readImage('images: [\n', target)).toThrow(ManifestTargetError);
  });
});
