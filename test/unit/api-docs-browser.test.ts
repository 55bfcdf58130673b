// /api/docs and the landing page rendered by a real browser (headless Chromium, installed from Debian when
// missing): Swagger UI must build the operation list from /api/openapi.json with its locally served assets.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../../api/server.js';
import { ensureAptBinary } from '../support/apt.js';
import { appWithoutTemporal } from '../support/docs-app.js';

const run = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  await ensureAptBinary(CHROMIUM, 'chromium');
  server = await listen(appWithoutTemporal(), { host: '127.0.0.1', port: 0 });
  dir = await mkdtemp(path.join(tmpdir(), 'runway-docs-browser-'));
}, 600_000);

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Headless Chromium: no network beyond 127.0.0.1 is needed (a CDN asset would fail to load here). */
async function chromium(args: string[]): Promise<string> {
  const { stdout } = await run(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      `--user-data-dir=${path.join(dir, 'profile')}`,
      '--window-size=1280,900',
      '--virtual-time-budget=10000',
      ...args,
    ],
    { timeout: 90_000, maxBuffer: 32 * 1024 * 1024 },
  );
  return stdout;
}

describe('in headless Chromium', () => {
  it('renders the Swagger UI at /api/docs with the Runway API operations', async () => {
    const dom = await chromium(['--dump-dom', `${server.url}/api/docs`]);
    expect(dom).toContain('class="swagger-ui"');
    // Rendered from the OpenAPI document, not present in the served HTML.
    expect(dom).toMatch(/<h[12] class="title">\s*Runway API/);
    expect(dom).toContain('data-path="/api/releases"');
    expect(dom).toMatch(/opblock-summary-method">GET/);
    const shot = path.join(dir, 'api-docs.png');
    await chromium([`--screenshot=${shot}`, `${server.url}/api/docs`]);
    expect((await stat(shot)).size).toBeGreaterThan(20_000);
  }, 180_000);

  it('renders the landing page with its links', async () => {
    const dom = await chromium(['--dump-dom', `${server.url}/`]);
    expect(dom).toContain('<h1>Runway</h1>');
    expect(dom).toContain('href="/api/docs"');
  }, 120_000);
});
