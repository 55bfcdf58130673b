// One home per concept: commit shas and release ids (domain/ids.ts), image tags, digests and their formatting
// (domain/image-ref.ts), secret redaction (platform/scrub.ts), constant-time comparison
// (platform/constant-time.ts). No other product file spells them out again; and the homes agree with themselves.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  deployId,
  isCommitSha,
  parseReleaseId,
  releaseId,
  releaseIdKind,
  releaseIdService,
  rollbackId,
  rollbackToId,
} from '../../domain/ids.js';
import { formatImageRef, parseImageRef } from '../../domain/image-ref.js';
import { sameDigest, sameSecret, sha256 } from '../../platform/constant-time.js';
import { redactSecrets } from '../../platform/scrub.js';

const root = path.resolve(import.meta.dirname, '../..');
const PRODUCT = [
  'api',
  'activities',
  'integrations',
  'workflows',
  'domain',
  'platform',
  'config',
  'worker',
  'cli',
  'scripts',
  'sandbox',
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return files(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

const RULES: { what: string; home: string; pattern: RegExp }[] = [
  { what: 'constant-time comparison', home: 'platform/constant-time.ts', pattern: /timingSafeEqual\(/ },
  { what: 'secret redaction', home: 'platform/scrub.ts', pattern: /join\(['"]\[redacted\]['"]\)|\*\*\*@/ },
  // 40 hex digits (SHA-1) or 64 (SHA-256): a sha256 digest of a token or an image is another concept.
  { what: 'commit sha patterns', home: 'domain/ids.ts', pattern: /\]\{40\}/ },
  { what: 'image tag grammar', home: 'domain/image-ref.ts', pattern: /\{0,127\}/ },
  {
    what: 'release id building and classifying',
    home: 'domain/ids.ts',
    pattern: /startsWith\(['"](release|deploy|rollback)\/|`(release|deploy|rollback)\/\$\{/,
  },
  { what: 'a second image formatter', home: 'domain/image-ref.ts', pattern: /imageToString/ },
];

describe('one home per concept', () => {
  const sources = PRODUCT.flatMap((dir) => files(path.join(root, dir))).map((file) => ({
    file: path.relative(root, file),
    text: readFileSync(file, 'utf8'),
  }));

  for (const rule of RULES) {
    it(`${rule.what} lives in ${rule.home} only`, () => {
      const elsewhere = sources.filter((s) => s.file !== rule.home && rule.pattern.test(s.text)).map((s) => s.file);
      expect(elsewhere).toEqual([]);
    });
  }

  it('release ids: what the builders make, the parser reads back and classifies', () => {
    const sha = 'a'.repeat(40);
    const sha256Commit = 'b'.repeat(64);
    expect(parseReleaseId(releaseId('payments', sha.toUpperCase()))).toEqual({
      kind: 'release',
      service: 'payments',
      sha,
    });
    expect(parseReleaseId(releaseId('payments', sha256Commit))).toMatchObject({ kind: 'release', sha: sha256Commit });
    expect(parseReleaseId(deployId('payments', sha, 'req-1'))).toEqual({
      kind: 'deploy',
      service: 'payments',
      sha,
      request: 'req-1',
    });
    expect(parseReleaseId(rollbackId('payments', 'production', 'v1.2.3'))).toEqual({
      kind: 'rollback',
      service: 'payments',
      environment: 'production',
      target: 'v1.2.3',
    });
    expect(releaseIdService(rollbackToId('payments', 'production', sha))).toBe('payments');
    for (const id of [releaseId('a', sha), deployId('a', sha, 'r'), rollbackId('a', 'b', 'c')]) {
      expect(releaseIdKind(id)).toBe(parseReleaseId(id)!.kind);
    }
    // An abbreviated sha is no release id (the parser once took 7 hex digits; the API never did).
    expect(parseReleaseId('release/payments/abcdef1')).toBeNull();
    expect(releaseIdService('service-lock/payments')).toBeNull();
    expect(isCommitSha(sha) && isCommitSha(sha256Commit) && !isCommitSha('abcdef1')).toBe(true);
  });

  it('image references: one formatter, no trailing colon for an empty tag, and it round-trips', () => {
    expect(formatImageRef({ repository: 'registry.example.com/app', tag: '' })).toBe('registry.example.com/app');
    expect(formatImageRef({ repository: 'localhost:5000/app', tag: '1.0', digest: 'sha256:ab' })).toBe(
      'localhost:5000/app:1.0@sha256:ab',
    );
    expect(parseImageRef(formatImageRef({ repository: 'localhost:5000/app', tag: 'v2' }))).toEqual({
      repository: 'localhost:5000/app',
      tag: 'v2',
    });
  });

  it("secrets: a client's own token and every known shape are hidden; comparisons are constant-time", () => {
    const text = redactSecrets('GET https://u:pw@host/x?private_token=abc with sekrit-123 and xoxb-1-2', [
      'sekrit-123',
    ]);
    expect(text).toBe('GET https://[redacted]@host/x?private_token=[redacted] with [redacted] and [redacted]');
    expect(redactSecrets('ssh://token@git.example.com/infra')).toBe('ssh://[redacted]@git.example.com/infra');
    expect(sameSecret('s3cret', 's3cret')).toBe(true);
    expect(sameSecret('s3cre', 's3cret')).toBe(false);
    expect(sameSecret(undefined, '')).toBe(false);
    expect(sameDigest(sha256('a'), sha256('a'))).toBe(true);
    expect(sameDigest(sha256('a'), sha256('a').subarray(0, 16))).toBe(false);
  });
});
