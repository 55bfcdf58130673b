// Child processes of the bench (worker, load generator) and the clean-up list that stops everything
// the bench started, whatever happens.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

const cleanups: (() => unknown)[] = [];

export function onCleanup(step: () => unknown): void {
  cleanups.push(step);
}

/** Runs the registered steps, newest first; a failing step does not stop the others. */
export async function cleanUp(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) {
    await Promise.resolve()
      .then(step)
      .catch((err: unknown) => console.error('bench cleanup:', (err as Error).message));
  }
}

/** Runs a TypeScript file of the repo in a child Node process with an IPC channel (tsx as the loader). */
export function forkTs(file: string, execArgv: string[] = []): ChildProcess {
  const child = fork(path.join(ROOT, file), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  onCleanup(() => stopChild(child, 0));
  return child;
}

/** Waits for a child to exit: SIGTERM after `graceMs`, SIGKILL 10 s later. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const term = setTimeout(() => child.kill('SIGTERM'), graceMs);
  const kill = setTimeout(() => child.kill('SIGKILL'), graceMs + 10_000);
  await exited;
  clearTimeout(term);
  clearTimeout(kill);
}

/** The child's first message that `accept`s, within `timeoutMs`. */
export function nextMessage<T>(child: ChildProcess, accept: (m: T) => boolean, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`child sent nothing within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: T) => {
      if (!accept(m)) return;
      done();
      resolve(m);
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`child exited (${code}) before answering`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
