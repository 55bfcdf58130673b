// Writes one field straight into the source text at the node's range, so every other byte of the file
// (indentation style, comments, blank lines, quoting) stays as it was. Returns null when the layout is
// one this does not handle (flow maps, block scalars, ...), and the caller falls back to the Document API.
import { isScalar, type Pair, type YAMLMap } from 'yaml';
import { findPair } from './document.js';
import { anchorOf, type Field } from './fields.js';
import { quoteStyleOf, renderScalar } from './scalar.js';

export function editText(text: string, field: Field): string | null {
  const pair = findPair(field.map, field.key);
  if (field.desired === undefined) return pair ? deleteLine(text, field.map, pair) : text;
  if (pair) return replaceValue(text, pair, field.desired);
  return insertLine(text, field);
}

function replaceValue(text: string, pair: Pair, desired: string): string | null {
  const node = pair.value;
  if (!isScalar(node) || !node.range || String(node.type).startsWith('BLOCK')) return null;
  const [start, end] = node.range;
  // `key:` with nothing after the colon: keep a space between colon and value.
  const gap = start === end && text[start - 1] === ':' ? ' ' : '';
  return text.slice(0, start) + gap + renderScalar(desired, quoteStyleOf(node)) + text.slice(end);
}

function insertLine(text: string, field: Field): string | null {
  const { map, key, desired } = field;
  const first = map.items[0];
  const anchor = anchorOf(field) ?? map.items[map.items.length - 1];
  if (map.flow || desired === undefined || !first || !anchor || !isScalar(first.key) || !first.key.range) return null;
  const anchorEnd = endOf(anchor);
  if (anchorEnd === null) return null;
  // Insert at the end of the line where the anchor's value ends (collections end after their newline).
  const at = text[anchorEnd - 1] === '\n' ? anchorEnd - 1 : lineEnd(text, anchorEnd);
  const column = first.key.range[0] - lineStart(text, first.key.range[0]);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const insertAt = text[at - 1] === '\r' ? at - 1 : at;
  const line = `${eol}${' '.repeat(column)}${key}: ${renderScalar(desired, 'PLAIN')}`;
  return text.slice(0, insertAt) + line + text.slice(insertAt);
}

function deleteLine(text: string, map: YAMLMap, pair: Pair): string | null {
  if (map.flow || map.items.length < 2 || !isScalar(pair.key) || !pair.key.range) return null;
  const value = pair.value;
  if (value !== null && (!isScalar(value) || String(value.type).startsWith('BLOCK'))) return null;
  const keyStart = pair.key.range[0];
  const start = lineStart(text, keyStart);
  // Only whole lines: a key sharing its line with `- ` or another key is left to the fallback.
  if (text.slice(start, keyStart).trim() !== '') return null;
  const end = lineEnd(text, endOf(pair) ?? pair.key.range[1]);
  return end < text.length ? text.slice(0, start) + text.slice(end + 1) : text.slice(0, Math.max(0, start - 1));
}

function endOf(pair: Pair): number | null {
  const node = pair.value ?? pair.key;
  const range = (node as { range?: [number, number, number] | null } | null)?.range;
  return range ? range[1] : null;
}

function lineStart(text: string, index: number): number {
  return text.lastIndexOf('\n', index - 1) + 1;
}

function lineEnd(text: string, index: number): number {
  const end = text.indexOf('\n', index);
  return end < 0 ? text.length : end;
}
