// Installs a Debian package on demand for tests that drive real binaries. Tests never skip because a
// binary is missing: they install it, or fail saying exactly what to install.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const installs = new Map<string, Promise<void>>();
let updated: Promise<void> | undefined;

async function apt(args: string[]): Promise<void> {
  // Wait for the dpkg lock instead of failing when another install is running.
  await run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 32 * 1024 * 1024,
  });
}

/** Makes sure `binary` exists, installing Debian package `pkg` (once per process) if it does not. */
export async function ensureAptBinary(binary: string, pkg: string): Promise<void> {
  if (existsSync(binary)) return;
  let install = installs.get(pkg);
  if (!install) {
    install = (async () => {
      try {
        updated ??= apt(['update']);
        await updated;
        await apt(['install', '-y', '--no-install-recommends', pkg]);
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        throw new Error(
          `${binary} is missing and "apt-get install ${pkg}" failed (needs root and Debian's apt): ${detail}`,
        );
      }
      if (!existsSync(binary)) throw new Error(`installed ${pkg} but ${binary} is still missing`);
    })();
    installs.set(pkg, install);
  }
  await install;
}
