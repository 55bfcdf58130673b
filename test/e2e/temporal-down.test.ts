// Temporal unreachable: every route that needs it answers 503 within 2 s (a refused port, and a server that
// accepts connections but never answers), /readyz is red, /healthz stays green; when Temporal is back (here: a TCP
// proxy in front of the real dev server, switched off and on) the same API recovers without a restart.
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { Client } from '@temporalio/client';
import { apiConnection } from '../../api/temporal-connection.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createApp } from '../../api/app.js';
import type { ApiContext } from '../../api/context.js';
import { ReleaseService } from '../../api/release-service.js';
import { listen, type RunningServer } from '../../api/server.js';
import { parseConfig } from '../../config/load.js';
import { createLogger } from '../../platform/logger.js';
import { e2eConfigYaml, mergeHook, TOKENS, WEBHOOK_SECRET } from '../support/api-harness.js';
import { SwitchableProxy } from '../support/tcp-proxy.js';

const hex = () => randomBytes(20).toString('hex');
const SERVICE = `down-${randomBytes(3).toString('hex')}`;

/** Accepts TCP and never says a word: a hung server, which only deadlines get past. */
async function blackhole(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function apiOn(address: string): Promise<{ server: RunningServer; close: () => Promise<void> }> {
  const config = parseConfig(e2eConfigYaml(SERVICE, 'down-queue'), {});
  const connection = apiConnection({ ...config.temporal, address });
  const client = new Client({ connection });
  const ctx: ApiContext = {
    config,
    client,
    releases: new ReleaseService(client, config),
    logger: createLogger('temporal-down', 'silent'),
    publicUrl: 'http://runway.test',
  };
  const server = await listen(createApp(ctx), { host: '127.0.0.1', port: 0 });
  return {
    server,
    close: async () => {
      await server.close();
      await connection.close();
    },
  };
}

const release = `release/${SERVICE}/${hex()}`;
const p = (id: string) => `/api/releases/${encodeURIComponent(id)}`;
/** Every route that needs Temporal, as a client would call it. */
const routes: [string, string, string | undefined, unknown, Record<string, string>?][] = [
  ['GET', '/api/releases', TOKENS.reader, undefined],
  ['GET', p(release), TOKENS.reader, undefined],
  ['POST', '/api/releases', TOKENS.deployer, { service: SERVICE, sha: hex() }],
  ['POST', `${p(release)}/approve`, TOKENS.approver, { environment: 'production' }],
  ['POST', `${p(release)}/reject`, TOKENS.approver, { environment: 'production' }],
  ['POST', `${p(release)}/cancel`, TOKENS.deployer, undefined],
  ['POST', `/api/services/${SERVICE}/environments/staging/rollback`, TOKENS.deployer, undefined],
  ['GET', '/api/services', TOKENS.reader, undefined],
  ['GET', `/api/metrics/dora?service=${SERVICE}`, TOKENS.reader, undefined],
  [
    'POST',
    '/webhooks/gitlab',
    undefined,
    mergeHook(SERVICE, hex()),
    { 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': WEBHOOK_SECRET },
  ],
];

async function timed(
  url: string,
  method: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const started = performance.now();
  const res = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, ms: performance.now() - started, body: text };
}

describe('Temporal unavailable', () => {
  let hole: Awaited<ReturnType<typeof blackhole>>;
  let refusedPort: number;
  beforeAll(async () => {
    hole = await blackhole();
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    refusedPort = (s.address() as { port: number }).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
  });
  afterAll(async () => hole?.close());

  for (const [kind, address] of [
    ['a refused port', () => `127.0.0.1:${refusedPort}`],
    ['a server that never answers', () => `127.0.0.1:${hole.port}`],
  ] as const) {
    it(`answers 503 within 2 s on every route that needs it, /readyz red, /healthz green (${kind})`, async () => {
      const api = await apiOn(address());
      try {
        for (const [method, path, token, body, headers] of routes) {
          const res = await timed(`${api.server.url}${path}`, method, token, body, headers);
          expect({ path, method, status: res.status }).toEqual({ path, method, status: 503 });
          expect(res.ms).toBeLessThan(2_000);
          expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'temporal_unavailable' } });
        }
        const ready = await timed(`${api.server.url}/readyz`, 'GET');
        expect(ready.status).toBe(503);
        expect(ready.ms).toBeLessThan(2_000);
        expect((await timed(`${api.server.url}/healthz`, 'GET')).status).toBe(200);
        // Refusals needing no Temporal keep their own answer.
        expect((await timed(`${api.server.url}/api/releases`, 'GET')).status).toBe(401);
      } finally {
        await api.close();
      }
    }, 60_000);
  }

  it('recovers without a restart when Temporal comes back', async () => {
    const [host, port] = inject('temporalAddress').split(':') as [string, string];
    const proxy = new SwitchableProxy({ host, port: Number(port) });
    await proxy.up();
    const api = await apiOn(`127.0.0.1:${proxy.port}`);
    try {
      expect((await timed(`${api.server.url}/readyz`, 'GET')).status).toBe(200);
      await proxy.down();
      const down = await timed(`${api.server.url}/api/releases`, 'GET', TOKENS.reader);
      expect(down.status).toBe(503);
      expect(down.ms).toBeLessThan(2_000);
      expect((await timed(`${api.server.url}/readyz`, 'GET')).status).toBe(503);
      await proxy.up();
      await expect
        .poll(async () => (await timed(`${api.server.url}/readyz`, 'GET')).status, { timeout: 15_000, interval: 250 })
        .toBe(200);
      expect((await timed(`${api.server.url}/api/releases`, 'GET', TOKENS.reader)).status).toBe(200);
    } finally {
      await api.close();
      await proxy.down();
    }
  }, 60_000);
});
