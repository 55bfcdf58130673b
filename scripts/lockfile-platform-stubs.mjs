// The npm registry mirror used here does not serve some platform-only optional packages (e.g.
// @swc/core-darwin-arm64), so `npm install` leaves them out of package-lock.json and `npm ci` then
// refuses the lockfile. This adds lock entries for them, marked optional with their os/cpu, which
// npm ci skips on other platforms without downloading anything. Run after `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const platform = (name) => {
  const m = /-(darwin|linux|win32|freebsd|android)-(x64|arm64|arm|ia32|ppc64|s390x|riscv64)\b/.exec(name);
  return m ? { os: [m[1]], cpu: [m[2]] } : null;
};
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    const nested = `${path}/node_modules/${dep}`;
    if (lock.packages[key] || lock.packages[nested]) continue;
    const p = platform(dep);
    if (!p) continue;
    lock.packages[key] = { version, optional: true, ...p };
    added++;
  }
}
writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log(`lockfile: added ${added} platform stub entries`);
