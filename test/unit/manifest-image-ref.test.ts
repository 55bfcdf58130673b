import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatImageRef, parseImageRef, sameImageRef } from '../../domain/manifest/index.js';

describe('parseImageRef', () => {
  it.each([
    ['nginx', { repository: 'nginx', tag: '' }],
    ['nginx:1.25', { repository: 'nginx', tag: '1.25' }],
    ['localhost:5000/app', { repository: 'localhost:5000/app', tag: '' }],
    ['localhost:5000/app:v1', { repository: 'localhost:5000/app', tag: 'v1' }],
    ['registry.gitlab.com/acme/payments:1.10', { repository: 'registry.gitlab.com/acme/payments', tag: '1.10' }],
    ['app@sha256:abc123', { repository: 'app', tag: '', digest: 'sha256:abc123' }],
    ['reg:443/a/b:t@sha256:abc123', { repository: 'reg:443/a/b', tag: 't', digest: 'sha256:abc123' }],
  ])('%s', (text, expected) => {
    expect(parseImageRef(text)).toEqual(expected);
    expect(formatImageRef(parseImageRef(text))).toBe(text);
  });

  it.each(['', ':tag', 'app:', 'app:bad tag', 'app@', 'app@sha256:a@b', 'a b:1'])('rejects %j', (text) => {
    expect(() => parseImageRef(text)).toThrow(/invalid image reference/);
  });

  it('round-trips generated references', () => {
    const component = fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/);
    const image = fc.record(
      {
        repository: fc
          .tuple(
            fc.option(fc.constantFrom('localhost:5000', 'registry.example.com', 'ghcr.io')),
            fc.array(component, { minLength: 1, maxLength: 3 }),
          )
          .map(([host, path]) => [host, ...path].filter(Boolean).join('/')),
        tag: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}$/),
        digest: fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`),
      },
      { requiredKeys: ['repository', 'tag'] },
    );
    fc.assert(
      fc.property(image, (ref) => {
        expect(sameImageRef(parseImageRef(formatImageRef(ref)), ref)).toBe(true);
      }),
    );
  });
});
