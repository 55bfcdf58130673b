// Reading and writing single YAML scalars the way a person would have typed them.
import { isAlias, isCollection, isScalar, parse, type Scalar } from 'yaml';
import { ManifestTargetError } from './errors.js';

export type QuoteStyle = 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE';

const PLAIN_CHARS = /^[A-Za-z0-9_./][A-Za-z0-9_./@:+-]*$/;

/**
 * True when `value` can be written unquoted and still reads back as the same string, under YAML 1.2
 * (this library) and YAML 1.1 (Go's yaml, used by kubectl, Kustomize and Helm): so `1.10`, `yes`, `on`
 * and `1_000` are quoted.
 */
export function isPlainSafe(value: string): boolean {
  if (!PLAIN_CHARS.test(value) || value.endsWith(':')) return false;
  return parse(value, { version: '1.2' }) === value && parse(value, { version: '1.1' }) === value;
}

/** The source text for `value` in `style`; a plain style falls back to double quotes when needed. */
export function renderScalar(value: string, style: QuoteStyle): string {
  if (style === 'QUOTE_SINGLE') return `'${value.replace(/'/g, "''")}'`;
  if (style === 'PLAIN' && isPlainSafe(value)) return value;
  // JSON string syntax is valid YAML double-quoted syntax.
  return JSON.stringify(value);
}

export function quoteStyleOf(node: Scalar): QuoteStyle {
  return node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? node.type : 'PLAIN';
}

/**
 * The text a scalar holds, or undefined for null/absent. A plain `1.10` parses as a number, but what
 * the author meant is the text, so non-strings read back as their source.
 */
export function scalarText(node: unknown, describe: () => string): string | undefined {
  if (node === null || node === undefined) return undefined;
  if (isAlias(node) || isCollection(node) || !isScalar(node)) {
    throw new ManifestTargetError(`${describe()} is ${isAlias(node) ? 'an alias' : 'not a scalar'}`);
  }
  if (node.value === null || node.value === undefined) return undefined;
  const value: unknown = node.value;
  if (typeof value === 'string') return value;
  if (node.source) return node.source;
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
    ? String(value)
    : undefined;
}
