// Runs Debian's `docker-registry` (distribution v2) on 127.0.0.1 for integration tests: a free port,
// a temp storage dir, a generated config, and optionally htpasswd Basic auth or Bearer token auth
// backed by registry-token-server.ts. Installs the package when it is missing; never skips.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureAptBinary } from './apt.js';
import { pushImage, type PushedImage, type PushOptions } from './registry-push.js';
import { startTokenServer, type TokenServer } from '../../fakes/registry-token-server.js';
import { freePort } from '../../platform/free-port.js';

const REGISTRY_BINARY = '/usr/bin/docker-registry';
const run = promisify(execFile);

export type RegistryAuth =
  | { kind: 'none' }
  | { kind: 'htpasswd'; username: string; password: string }
  /** Bearer tokens from a local token service; with username/password it demands Basic auth. */
  | { kind: 'token'; username?: string; password?: string; expiresInSeconds?: number };

export interface DockerRegistry {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, the registry part of image names. */
  host: string;
  /** Set for `token` auth. */
  tokenServer?: TokenServer;
  /** An Authorization header allowed to push to `name` (undefined without auth). */
  pushAuthorization(name: string): string | undefined;
  /** Pushes a tiny image (config + one layer) as `name:tag`. */
  push(name: string, tag: string, options?: Omit<PushOptions, 'authorization'>): Promise<PushedImage>;
  stop(): Promise<void>;
}

export const TOKEN_SERVICE = 'runway-test-registry';
const TOKEN_ISSUER = 'runway-test-issuer';

/** A bcrypt htpasswd line; distribution accepts bcrypt only. */
async function htpasswdLine(username: string, password: string): Promise<string> {
  await ensureAptBinary('/usr/bin/htpasswd', 'apache2-utils');
  const child = run('htpasswd', ['-niB', username]); // -i: password on stdin, not in argv
  child.child.stdin!.end(password);
  const { stdout } = await child;
  return stdout.trim();
}

function authSection(auth: RegistryAuth, dir: string, htpasswd: string, tokens?: TokenServer): string {
  if (auth.kind === 'htpasswd') {
    writeFileSync(join(dir, 'htpasswd'), `${htpasswd}\n`);
    return `auth:\n  htpasswd:\n    realm: runway-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  if (auth.kind === 'token' && tokens) {
    return [
      'auth:',
      '  token:',
      `    realm: ${tokens.realm}`,
      `    service: ${TOKEN_SERVICE}`,
      `    issuer: ${TOKEN_ISSUER}`,
      `    rootcertbundle: ${tokens.certPath}`,
      '',
    ].join('\n');
  }
  return '';
}

async function waitUntilServing(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not answer on ${url} within 20 s:\n${output()}`);
}

export async function startDockerRegistry(auth: RegistryAuth = { kind: 'none' }): Promise<DockerRegistry> {
  await ensureAptBinary(REGISTRY_BINARY, 'docker-registry');
  const dir = mkdtempSync(join(tmpdir(), 'runway-registry-'));
  let tokenServer: TokenServer | undefined;
  let child: ChildProcess | undefined;
  try {
    const htpasswd = auth.kind === 'htpasswd' ? await htpasswdLine(auth.username, auth.password) : '';
    if (auth.kind === 'token') {
      tokenServer = await startTokenServer(dir, {
        service: TOKEN_SERVICE,
        issuer: TOKEN_ISSUER,
        username: auth.username,
        password: auth.password,
        expiresInSeconds: auth.expiresInSeconds,
      });
    }
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const config = [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'storage')}`,
      'http:',
      `  addr: ${host}`,
      `  secret: ${randomBytes(16).toString('hex')}`,
      authSection(auth, dir, htpasswd, tokenServer),
    ].join('\n');
    writeFileSync(join(dir, 'config.yml'), config);

    let output = '';
    child = spawn(REGISTRY_BINARY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const url = `http://${host}`;
    await waitUntilServing(url, child, () => output);

    const started = child;
    const tokens = tokenServer;
    const pushAuthorization = (name: string): string | undefined => {
      if (auth.kind === 'htpasswd') {
        return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      }
      if (tokens) return `Bearer ${tokens.mint([{ type: 'repository', name, actions: ['pull', 'push'] }])}`;
      return undefined;
    };
    return {
      url,
      host,
      tokenServer,
      pushAuthorization,
      push: (name, tag, options) => pushImage(url, name, tag, { ...options, authorization: pushAuthorization(name) }),
      stop: async () => {
        await stopProcess(started);
        await tokens?.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (child) await stopProcess(child);
    await tokenServer?.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
