import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readImage, setImage } from '../../domain/manifest/index.js';
import type { ManifestTarget } from '../../domain/types.js';

const kustomize = (name = 'app'): ManifestTarget => ({ kind: 'kustomize', file: 'k.yaml', name });

describe('manifest formatting', () => {
  it.each(['1.10', '1', '1e3', '0x1F', '010', 'true', 'on', 'yes', 'null', '1_000', '0o17', '1e-3', 'n'])(
    'writes tag %s as a string in both YAML 1.1 and 1.2',
    (tag) => {
      const edit = setImage('images:\n- name: app\n  newTag: v1\n', kustomize(), { repository: 'app', tag });
      expect(edit.text).toBe(`images:\n- name: app\n  newTag: "${tag}"\n`);
      for (const version of ['1.1', '1.2'] as const) {
        const [doc] = parseAllDocuments(edit.text, { version });
        expect(doc!.getIn(['images', 0, 'newTag'])).toBe(tag);
      }
    },
  );

  it('keeps CRLF line endings, also on inserted lines', () => {
    const text = 'images:\r\n- name: app # c\r\n  newTag: v1\r\n';
    const edit = setImage(text, kustomize(), { repository: 'app', tag: 'v2', digest: 'sha256:ab' });
    expect(edit.text).toBe('images:\r\n- name: app # c\r\n  newTag: v2\r\n  digest: sha256:ab\r\n');
  });

  it('falls back to a Document rendering when a key cannot be removed in place', () => {
    const text = '# keep me\nimages:\n  - digest: sha256:ab # old\n    name: app\n    newTag: v1\n';
    const edit = setImage(text, kustomize(), { repository: 'app', tag: 'v2' });
    expect(readImage(edit.text, kustomize())).toEqual({ repository: 'app', tag: 'v2' });
    expect(edit.text).toContain('# keep me');
    expect(edit.text).not.toContain('digest');
  });

  it('edits one document of a multi-document file and leaves the others byte-identical', () => {
    const first = '# one\na: 1\n';
    const third = '---\n# three\nc: [1, 2]\n';
    const text = `${first}---\nimages:\n- name: app\n  newTag: v1\n${third}`;
    const edit = setImage(text, kustomize(), { repository: 'app', tag: 'v2' });
    expect(edit.text).toBe(`${first}---\nimages:\n- name: app\n  newTag: v2\n${third}`);
  });

  it('keeps an explicit !!str tag', () => {
    const text = 'images:\n- name: app\n  newTag: !!str 1.10\n';
    const edit = setImage(text, kustomize(), { repository: 'app', tag: '1.11' });
    expect(edit.text).toBe('images:\n- name: app\n  newTag: !!str "1.11"\n');
  });

  it('inserts a key after a nested block value', () => {
    const text = 'images:\n- name: app\n  extra:\n    a: 1\n# trailing\n';
    const edit = setImage(text, kustomize(), { repository: 'app', tag: 'v2' });
    expect(edit.text).toBe('images:\n- name: app\n  newTag: v2\n  extra:\n    a: 1\n# trailing\n');
  });

  it('refuses an alias as a target value', () => {
    const text = 'tags:\n  t: &t v1\nimages:\n- name: app\n  newTag: *t\n';
    expect(() => setImage(text, kustomize(), { repository: 'app', tag: 'v2' })).toThrow(/newTag is an alias/);
  });

  it('rejects an invalid image before touching the file', () => {
    expect(() => setImage('images: []\n', kustomize(), { repository: 'app', tag: 'bad tag' })).toThrow(TypeError);
  });
});
