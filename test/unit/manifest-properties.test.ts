// Property tests: for random images and fixture styles, an edit changes exactly the intended values,
// keeps every comment, reads back as the image, and is a no-op the second time.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { readImage, setImage } from '../../domain/manifest/index.js';
import type { ImageRef, ManifestTarget } from '../../domain/types.js';

const component = fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/);
const repository = fc
  .tuple(
    fc.option(fc.constantFrom('localhost:5000', 'registry.example.com', 'reg.io:443')),
    fc.array(component, { minLength: 1, maxLength: 3 }),
  )
  .map(([host, path]) => [host, ...path].filter(Boolean).join('/'));
const tag = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}$/),
  fc.constantFrom('1.10', '1', 'true', 'on', 'no', '0x10', '1e3', 'null', '010', '1_0', 'v1.2.3'),
);
const digest = fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`);
const image: fc.Arbitrary<ImageRef> = fc
  .tuple(repository, tag, fc.option(digest, { nil: undefined }))
  .map(([repo, t, d]) => (d ? { repository: repo, tag: t, digest: d } : { repository: repo, tag: t }));
const quote = fc.constantFrom(
  (s: string) => s,
  (s: string) => `"${s}"`,
  (s: string) => `'${s}'`,
);

// Parsed YAML, loosely typed so the expected change can be written as plain property updates.

type Data = any;
const dataOf = (text: string): Data[] => parseAllDocuments(text).map((doc) => doc.toJS() as unknown);
const commentsOf = (text: string) => text.match(/#.*$/gm) ?? [];
const clone = <T>(value: T): T => structuredClone(value);

function checkEdit(text: string, target: ManifestTarget, next: ImageRef, expectData: (data: Data[]) => void) {
  const before = dataOf(text);
  const edit = setImage(text, target, next);
  const expected = clone(before);
  expectData(expected);
  expect(dataOf(edit.text)).toEqual(expected);
  for (const comment of commentsOf(text)) expect(edit.text).toContain(comment);
  expect(readImage(edit.text, target, next.repository)).toEqual(next);
  const again = setImage(edit.text, target, next);
  expect(again.changed).toBe(false);
  expect(again.text).toBe(edit.text);
  expect(edit.changed).toBe(edit.text !== text);
  return edit;
}

const changedLines = (a: string, b: string) => {
  const left = a.split('\n');
  const right = b.split('\n');
  expect(right).toHaveLength(left.length);
  return left.flatMap((line, i) => (line === right[i] ? [] : [i]));
};

describe('manifest edit properties', () => {
  it('kustomize: only the entry changes, whatever the layout', () => {
    const fixture = fc.record({
      indent: fc.constantFrom('', '  '),
      q: quote,
      withNewName: fc.boolean(),
      withDigest: fc.boolean(),
      current: image,
    });
    fc.assert(
      fc.property(fixture, image, ({ indent, q, withNewName, withDigest, current }, next) => {
        const name = 'registry.example.com/app';
        const text = [
          '# overlay',
          'images:',
          `${indent}- name: other # unrelated`,
          `${indent}  newTag: keep`,
          `${indent}# the app`,
          `${indent}- name: ${name} # main`,
          ...(withNewName ? [`${indent}  newName: ${q(current.repository)}`] : []),
          `${indent}  newTag: ${q(current.tag)} # tag`,
          ...(withDigest ? [`${indent}  digest: ${q(current.digest ?? 'sha256:00')}`] : []),
          'resources: [a.yaml] # end',
          '',
        ].join('\n');
        const target: ManifestTarget = { kind: 'kustomize', file: 'k.yaml', name };
        const edit = checkEdit(text, target, next, ([data]) => {
          const entry = data.images[1];
          if (withNewName || next.repository !== name) entry.newName = next.repository;
          entry.newTag = next.tag;
          if (next.digest) entry.digest = next.digest;
          else delete entry.digest;
        });
        // Edited in place: everything outside the entry is byte-identical.
        expect(edit.text.startsWith(text.slice(0, text.indexOf(`- name: ${name}`)))).toBe(true);
        expect(edit.text.endsWith('\nresources: [a.yaml] # end\n')).toBe(true);
      }),
    );
  });

  it('helm: only the tag and repository lines change', () => {
    fc.assert(
      fc.property(fc.tuple(quote, quote), image, image, ([qTag, qRepo], current, next) => {
        const text = [
          '# values',
          'image:',
          `  repository: ${qRepo(current.repository)} # repo`,
          '  # the tag',
          `  tag: ${qTag(current.tag)}`,
          'sidecar:',
          '  tag: "1.0"',
          '',
        ].join('\n');
        const target: ManifestTarget = {
          kind: 'helm',
          file: 'values.yaml',
          tagPath: 'image.tag',
          repositoryPath: 'image.repository',
        };
        const edit = checkEdit(text, target, next, ([data]) => {
          data.image.repository = next.repository;
          data.image.tag = next.digest ? `${next.tag}@${next.digest}` : next.tag;
        });
        expect(changedLines(text, edit.text).every((i) => i === 2 || i === 4)).toBe(true);
      }),
    );
  });

  it('container: exactly one line changes in a multi-document file', () => {
    fc.assert(
      fc.property(quote, image, image, (q, current, next) => {
        const ref = (i: ImageRef) => `${i.repository}${i.tag ? `:${i.tag}` : ''}${i.digest ? `@${i.digest}` : ''}`;
        const text = [
          'apiVersion: v1',
          'kind: ConfigMap # not a workload',
          'metadata: {name: cfg}',
          '---',
          '# the workload',
          'apiVersion: apps/v1',
          'kind: StatefulSet',
          'metadata:',
          '  name: db',
          'spec:',
          '  template:',
          '    spec:',
          '      containers:',
          '      - name: sidecar',
          '        image: busybox:1 # helper',
          '      - name: db',
          `        image: ${q(ref(current))} # db`,
          '',
        ].join('\n');
        const target: ManifestTarget = {
          kind: 'container',
          file: 'db.yaml',
          container: 'db',
          workloadKind: 'StatefulSet',
        };
        const edit = checkEdit(text, target, next, ([, data]) => {
          data.spec.template.spec.containers[1].image = ref(next);
        });
        expect(edit.previous).toEqual(current);
        expect(changedLines(text, edit.text)).toEqual(edit.changed ? [16] : []);
      }),
    );
  });

  it('a chain of edits reports each previous image and ends at the last', () => {
    const target: ManifestTarget = { kind: 'kustomize', file: 'k.yaml', name: 'app' };
    fc.assert(
      fc.property(fc.array(image, { minLength: 1, maxLength: 6 }), (images) => {
        let text = 'images:\n- name: app # keep\n  newTag: "0"\n';
        let before: ImageRef = { repository: 'app', tag: '0' };
        for (const next of images) {
          const edit = setImage(text, target, next);
          expect(edit.previous).toEqual(before);
          text = edit.text;
          before = next;
        }
        expect(readImage(text, target)).toEqual(images[images.length - 1]);
        expect(text).toContain('# keep');
      }),
    );
  });
});
