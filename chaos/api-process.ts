// Starts the Runway API as production runs it (`node --import tsx api/main.ts`, config from RUNWAY_CONFIG) in a
// child process, for runs with more than one API in front of one Temporal. stdout/stderr go to a log file.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ApiHandle {
  child: ChildProcess;
  url: string;
  /** Resolves once /healthz answers 200. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export function startApiProcess(spec: { configPath: string; port: number; logFile: string }): ApiHandle {
  const log = openSync(spec.logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'api/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, RUNWAY_CONFIG: spec.configPath, LOG_LEVEL: 'warn' },
    stdio: ['ignore', log, log],
  });
  const url = `http://127.0.0.1:${spec.port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = (async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`api exited (${child.exitCode}) before it was ready`);
      const ok = await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      if (Date.now() > deadline) throw new Error('api did not answer /healthz within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    child,
    url,
    ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(kill);
    },
  };
}
