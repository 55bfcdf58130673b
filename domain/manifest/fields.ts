// A "field" is one scalar key of a YAML map that an edit wants to hold a given string (or to be absent).
// Targets describe edits as fields; the patcher decides how to write them.
import { isScalar, Pair, Scalar, type YAMLMap } from 'yaml';
import { findPair } from './document.js';
import { isPlainSafe, quoteStyleOf } from './scalar.js';

export interface Field {
  map: YAMLMap;
  key: string;
  /** undefined: the key should be absent (or null). */
  desired: string | undefined;
  /** Where a new key goes: after the first of these keys the map has, else at the end. */
  after?: string[];
}

/** The pair a new key for `field` is inserted after (undefined: at the end of the map). */
export function anchorOf(field: Field): Pair | undefined {
  for (const key of field.after ?? []) {
    const pair = findPair(field.map, key);
    if (pair) return pair;
  }
  return undefined;
}

export function isSatisfied(field: Field): boolean {
  const value = findPair(field.map, field.key)?.value;
  const isNull = value === null || value === undefined || (isScalar(value) && value.value === null);
  if (field.desired === undefined) return isNull;
  // Only a string counts: a plain `1.10` (a float) must be rewritten as the string "1.10".
  return isScalar(value) && value.value === field.desired;
}

/** Applies the field through the Document API (the reference result, and the fallback rendering). */
export function applyToDocument(field: Field): void {
  const { map, key, desired } = field;
  const pair = findPair(map, key);
  if (desired === undefined) {
    if (pair) map.items.splice(map.items.indexOf(pair), 1);
    return;
  }
  const scalar = new Scalar(desired);
  const old = pair?.value;
  if (isScalar(old)) {
    const style = quoteStyleOf(old);
    scalar.type = style === 'PLAIN' && !isPlainSafe(desired) ? 'QUOTE_DOUBLE' : style;
    scalar.comment = old.comment;
    scalar.commentBefore = old.commentBefore;
  } else if (!isPlainSafe(desired)) {
    scalar.type = 'QUOTE_DOUBLE';
  }
  if (pair) {
    pair.value = scalar;
    return;
  }
  const anchor = anchorOf(field);
  const at = anchor ? map.items.indexOf(anchor) + 1 : map.items.length;
  map.items.splice(at, 0, new Pair(new Scalar(key), scalar));
}
