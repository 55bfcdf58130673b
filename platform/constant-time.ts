// Comparing secrets without telling an attacker, by timing, how much of a guess was right: the one place that
// does it (API tokens, the GitLab webhook secret, the pagination MAC).
import { createHash, timingSafeEqual } from 'node:crypto';

/** Two digests of the same kind (equal lengths), compared in constant time; different lengths never match. */
export function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** A presented secret against the expected one: hashed first, so lengths are equal and say nothing. */
export function sameSecret(presented: string | undefined, expected: string): boolean {
  return sameDigest(sha256(presented ?? ''), sha256(expected)) && presented !== undefined;
}
