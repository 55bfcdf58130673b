// scripts/ensure-temporal.sh on a machine that reaches the Temporal CLI's releases: the cache first (no request),
// then the release archive, verified against its sha256, and `go install` only when the download fails or does
// not verify. A release server on 127.0.0.1 (RUNWAY_TEMPORAL_DOWNLOAD_BASE) stands in for the real one, and a
// stand-in `go` records whether it was asked to build.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ENSURE = path.resolve('scripts/ensure-temporal.sh');
const VERSION = 'v1.5.1';
const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
const ARCHIVE_PATH = `/${VERSION}/temporal_cli_1.5.1_${platform}.tar.gz`;
const DOWNLOADED = '#!/bin/sh\necho "temporal version 1.5.1 (from the release archive)"\n';

let dir: string;
let server: Server;
let base: string;
let archive: Buffer;
let archiveSha256: string;
const requests: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'runway-ensure-temporal-'));
  // The release archive's layout: `temporal` (and LICENSE) at the top.
  const content = path.join(dir, 'archive');
  await mkdir(content);
  await writeFile(path.join(content, 'temporal'), DOWNLOADED, { mode: 0o755 });
  await writeFile(path.join(content, 'LICENSE'), 'MIT\n');
  await run('tar', ['-czf', path.join(dir, 'release.tar.gz'), '-C', content, 'temporal', 'LICENSE']);
  archive = await readFile(path.join(dir, 'release.tar.gz'));
  archiveSha256 = createHash('sha256').update(archive).digest('hex');
  // A stand-in `go` that "builds" a temporal CLI into $GOBIN and notes that it was called.
  await mkdir(path.join(dir, 'bin'));
  await writeFile(
    path.join(dir, 'bin/go'),
    '#!/bin/sh\necho "$@" >> "$GO_CALLS"\n' +
      'printf \'#!/bin/sh\\necho "temporal version 1.5.1 (built by go)"\\n\' > "$GOBIN/temporal"\n' +
      'chmod +x "$GOBIN/temporal"\n',
  );
  await chmod(path.join(dir, 'bin/go'), 0o755);
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === ARCHIVE_PATH) {
      res.writeHead(200, { 'Content-Type': 'application/gzip' });
      res.end(archive);
    } else {
      res.writeHead(404);
      res.end('Not Found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

let cache: string;
let goCalls: string;
beforeEach(async () => {
  requests.length = 0;
  cache = await mkdtemp(path.join(dir, 'xdg-'));
  goCalls = path.join(cache, 'go-calls');
});

async function ensure(env: Record<string, string>) {
  const started = Date.now();
  const { stdout, stderr } = await run('bash', [ENSURE], {
    // Only what the test sets up can be found: no temporal on PATH, the stand-in go, the local release server.
    env: {
      PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`,
      HOME: dir,
      XDG_CACHE_HOME: cache,
      GO_CALLS: goCalls,
      RUNWAY_TEMPORAL_DOWNLOAD_BASE: base,
      ...env,
    },
    timeout: 60_000,
  });
  const built = existsSync(goCalls) ? await readFile(goCalls, 'utf8') : '';
  return { stdout: stdout.trim(), stderr, built, ms: Date.now() - started };
}

const cachedPath = () => path.join(cache, `runway/temporal-${VERSION}/temporal`);

describe('scripts/ensure-temporal.sh: download first, go install only when that fails', () => {
  it('downloads the release archive, verifies its sha256, and does not build', async () => {
    const result = await ensure({ RUNWAY_TEMPORAL_SHA256: archiveSha256 });
    expect(requests).toEqual([ARCHIVE_PATH]);
    expect(result.stdout).toBe(cachedPath());
    expect(await readFile(cachedPath(), 'utf8')).toBe(DOWNLOADED);
    expect(result.stderr).toContain(`downloading the Temporal CLI ${VERSION} release: ${base}${ARCHIVE_PATH}`);
    expect(result.stderr).toContain(`downloaded the Temporal CLI ${VERSION} (sha256 verified): ${cachedPath()}`);
    expect(result.built).toBe('');
    // Nothing half-done is left beside it.
    expect((await run('ls', ['-A', path.dirname(cachedPath())])).stdout.trim()).toBe('temporal');
  });

  it('the cached binary comes first: no request, no build', async () => {
    await ensure({ RUNWAY_TEMPORAL_SHA256: archiveSha256 });
    requests.length = 0;
    const again = await ensure({ RUNWAY_TEMPORAL_SHA256: archiveSha256 });
    expect(again.stdout).toBe(cachedPath());
    expect(again.stderr).toBe(`runway: Temporal CLI ${VERSION}: cached in ${path.dirname(cachedPath())}\n`);
    expect(requests).toEqual([]);
    expect(again.built).toBe('');
  });

  it('refuses an archive whose sha256 is not the pinned one, and builds with go instead', async () => {
    // No override: the script's pinned checksum of the official archive, which this one is not.
    const result = await ensure({});
    expect(requests).toEqual([ARCHIVE_PATH]);
    expect(result.stderr).toMatch(new RegExp(`checksum mismatch: got sha256 ${archiveSha256}, expected [0-9a-f]{64}`));
    expect(result.built).toBe(`install github.com/temporalio/cli/cmd/temporal@${VERSION}\n`);
    expect(result.stdout).toBe(cachedPath());
    expect(await readFile(cachedPath(), 'utf8')).toContain('built by go');
    expect(result.stderr).toContain('building temporal v1.5.1 from source');
  });

  it('falls back to go install within seconds when the release server cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await ensure({ RUNWAY_TEMPORAL_DOWNLOAD_BASE: `http://127.0.0.1:${port}` });
    expect(result.stderr).toMatch(/download failed: curl: \(7\)/);
    expect(result.built).toContain('install github.com/temporalio/cli/cmd/temporal@v1.5.1');
    expect(result.stdout).toBe(cachedPath());
    expect(result.ms).toBeLessThan(15_000);
  });

  it('falls back to go install on a 404, and can be told to skip the download', async () => {
    const missing = await ensure({
      RUNWAY_TEMPORAL_DOWNLOAD_BASE: `${base}/nowhere`,
      RUNWAY_TEMPORAL_SHA256: archiveSha256,
    });
    expect(missing.stderr).toMatch(/download failed: curl: \(22\).*404/);
    expect(missing.built).not.toBe('');
    await rm(cachedPath());
    requests.length = 0;
    const skipped = await ensure({ RUNWAY_SKIP_TEMPORAL_DOWNLOAD: '1' });
    expect(requests).toEqual([]);
    expect(skipped.stdout).toBe(cachedPath());
  });

  it('with neither a download nor Go, hands over to the SDK download and leaves nothing behind', async () => {
    const result = await ensure({ RUNWAY_TEMPORAL_DOWNLOAD_BASE: `${base}/nowhere`, RUNWAY_SKIP_GO_INSTALL: '1' });
    expect(result.stdout).toBe('sdk-download');
    expect(result.stderr).toContain('download failed');
    expect(result.stderr).not.toMatch(/unbound variable|line \d+:/);
    expect((await run('ls', ['-A', path.dirname(cachedPath())])).stdout.trim()).toBe('');
  });
});
