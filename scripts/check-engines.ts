// Which locked dependencies refuse a Node version (npm's EBADENGINE), read from package-lock.json's
// `engines` fields: `npm run check:engines` checks the supported LTS lines without installing each one.
//   tsx scripts/check-engines.ts [versions…]   (default: the oldest supported release of each line)
import { readFileSync } from 'node:fs';

const SUPPORTED = ['22.13.0', '24.0.0'];

type Version = [number, number, number];
const parse = (v: string): Version => {
  const [a = 0, b = 0, c = 0] = v
    .replace(/^[v=]/, '')
    .split('.')
    .map((n) => (/^\d+$/.test(n) ? Number(n) : 0));
  return [a, b, c];
};
const compare = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** The subset of npm's range grammar engines fields use: `||`, spaces (and), ^ ~ >= > <= < = and x/*. */
export function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  // `>= 20` means `>=20`: glue operators to their versions before splitting on spaces.
  return range
    .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
    .split('||')
    .some((alternative) =>
      alternative
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .every((comparator) => {
          const m = /^(\^|~|>=|<=|>|<|=)?\s*v?([\dx*]+)(?:\.([\dx*]+))?(?:\.([\dx*]+))?/.exec(comparator);
          if (!m || m[2] === '*' || m[2] === 'x') return true;
          const parts = [m[2], m[3], m[4]];
          const wild = parts.findIndex((p) => p === undefined || p === 'x' || p === '*');
          const base = parse(parts.map((p) => (p === undefined || p === 'x' || p === '*' ? '0' : p)).join('.'));
          const op = m[1] ?? (wild === -1 ? '=' : '~');
          const upper = (level: number): Version =>
            level === 0
              ? [base[0] + 1, 0, 0]
              : level === 1
                ? [base[0], base[1] + 1, 0]
                : [base[0], base[1], base[2] + 1];
          switch (op) {
            case '>=':
              return compare(v, base) >= 0;
            case '>':
              return compare(v, base) > 0;
            case '<=':
              return compare(v, base) <= 0;
            case '<':
              return compare(v, base) < 0;
            case '^':
              return compare(v, base) >= 0 && compare(v, upper(base[0] ? 0 : base[1] ? 1 : 2)) < 0;
            case '~':
              return compare(v, base) >= 0 && compare(v, upper(wild === 1 ? 0 : 1)) < 0;
            default:
              return compare(v, base) === 0;
          }
        }),
    );
}
const versions = process.argv.slice(2).length ? process.argv.slice(2) : SUPPORTED;

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
  dev?: boolean;
  optional?: boolean;
}
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockEntry> };
const root = JSON.parse(readFileSync('package.json', 'utf8')) as { engines?: { node?: string } };

let problems = 0;
for (const version of versions) {
  if (root.engines?.node && !satisfies(version, root.engines.node)) {
    console.log(`node ${version}: runway's own engines (${root.engines.node}) exclude it`);
    problems++;
  }
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (!where) continue;
    const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
    if (range && !satisfies(version, range)) {
      const name = where.replace(/^.*node_modules\//, '');
      console.log(`node ${version}: ${name}@${entry.version ?? '?'} wants node ${range}${entry.dev ? ' (dev)' : ''}`);
      problems++;
    }
  }
}
console.log(problems ? `${problems} engine mismatches` : `no engine mismatches on node ${versions.join(', ')}`);
process.exit(problems ? 1 : 0);
