// Both Argo CD drivers, through their real HTTP stacks (global fetch; @kubernetes/client-node), against the
// fake Argo CD, judged by the same evaluateHealth the health-wait activity uses.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createArgoCdApiClient } from '../../integrations/argocd-api.js';
import { createArgoCdKubernetesClient } from '../../integrations/argocd-kubernetes.js';
import type { AppStatus, ArgoCdPort } from '../../activities/ports.js';
import { evaluateHealth, type HealthVerdict } from '../../domain/health.js';
import { FakeArgoCd } from '../../fakes/argocd.js';

type K8s = typeof import('@kubernetes/client-node');

const REV = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const OTHER = 'ffffffffffffffffffffffffffffffffffffffff';

let k8sModule: Promise<K8s> | undefined;

function loadK8s(): Promise<K8s> {
  // 2.x pulls in undici 8, which needs Node >= 22.19: on Node 20 the module throws at import time.
  k8sModule ??= import('@kubernetes/client-node').catch((err: unknown) => {
    throw new Error(
      `@kubernetes/client-node does not load on Node ${process.version} (${(err as Error).message}); ` +
        'pin @kubernetes/client-node ^1.4.0 or run Node >= 22.19',
    );
  });
  return k8sModule;
}

function kubeConfig(lib: K8s, server: string, token: string): InstanceType<K8s['KubeConfig']> {
  const kc = new lib.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server, skipTLSVerify: true }],
    users: [{ name: 'runway', token }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'runway' }],
    currentContext: 'fake',
  });
  return kc;
}

interface Driver {
  name: 'REST' | 'Kubernetes';
  make(fake: FakeArgoCd, token?: string): Promise<ArgoCdPort>;
}

const drivers: Driver[] = [
  {
    name: 'REST',
    make: async (fake, token = fake.token) =>
      createArgoCdApiClient({ url: fake.url, token, uiUrl: 'https://argocd.example.com/' }),
  },
  {
    name: 'Kubernetes',
    make: async (fake, token = fake.token) =>
      createArgoCdKubernetesClient({
        kubeConfig: kubeConfig(await loadK8s(), fake.url, token),
        namespace: fake.namespace,
        uiUrl: 'https://argocd.example.com',
      }),
  },
];

/** Polls like the health-wait activity: refresh once, then plain reads, until a verdict or the timeout. */
async function watch(
  port: ArgoCdPort,
  app: string,
  revision: string,
  opts: { timeoutMs?: number; graceMs?: number } = {},
): Promise<{ verdict: HealthVerdict; last: AppStatus; seen: AppStatus[] }> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5_000);
  const seen: AppStatus[] = [];
  let degradedSince: number | undefined;
  for (let i = 0; ; i++) {
    const last = await port.getStatus(app, i === 0 ? { refresh: 'normal' } : undefined);
    seen.push(last);
    if (last.health === 'Degraded' && last.syncRevision === revision) degradedSince ??= Date.now();
    else degradedSince = undefined;
    const verdict = evaluateHealth(last, {
      revision,
      contains: (r) => (r ? r === revision : undefined),
      degradedForMs: degradedSince === undefined ? 0 : Date.now() - degradedSince,
      degradedGraceMs: opts.graceMs ?? 0,
    });
    if (verdict.state !== 'waiting' || Date.now() > deadline) return { verdict, last, seen };
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** For `.then(unexpected, …)`: a call that should have failed but did not. */
function unexpected(): never {
  throw new Error('expected the call to fail');
}

let fake: FakeArgoCd;

beforeEach(async () => {
  fake = new FakeArgoCd();
  await fake.listen();
  fake.addApp('web', { revision: OTHER, image: 'registry.example.com/web:1.0.0' });
  fake.images.set(REV, 'registry.example.com/web:1.1.0');
});

afterEach(async () => {
  await fake.close();
});

describe.each(drivers)('$name driver', (driver) => {
  let port: ArgoCdPort;
  beforeEach(async () => {
    port = await driver.make(fake);
  });

  it('syncs, then reports healthy on the revision', async () => {
    await port.sync('web', REV);
    const { verdict, last, seen } = await watch(port, 'web', REV);
    expect(verdict).toEqual({ state: 'healthy' });
    expect(last).toMatchObject({ syncStatus: 'Synced', syncRevision: REV, operationRevision: REV });
    expect(seen.some((s) => s.health === 'Progressing' || s.operationPhase === 'Running')).toBe(true);
    expect(fake.app('web').status.summary.images).toEqual(['registry.example.com/web:1.1.0']);
    expect(fake.app('web').status.operationState?.operation).toMatchObject({
      sync: { revision: REV, prune: false, syncStrategy: { hook: {} } },
    });
  });

  it('reports a bad image as Degraded, which fails once the grace is over', async () => {
    fake.images.set(REV, 'registry.example.com/web:broken');
    fake.isBadImage = (image) => image.endsWith(':broken');
    await port.sync('web', REV);
    const { verdict, last } = await watch(port, 'web', REV, { graceMs: 50 });
    expect(verdict.state).toBe('failed');
    expect(verdict.state === 'failed' && verdict.reason).toMatch(
      /Degraded: Deployment "web" exceeded its progress deadline/,
    );
    expect(last.syncRevision).toBe(REV);
  });

  it('fails fast when the sync operation fails', async () => {
    fake.failOperation(REV, 'one or more objects failed to apply, reason: admission webhook denied');
    const started = Date.now();
    await port.sync('web', REV);
    const { verdict } = await watch(port, 'web', REV);
    expect(verdict.state === 'failed' && verdict.reason).toMatch(/sync operation Failed: .*admission webhook denied/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('does not mistake an earlier Failed operation on the same revision for the new sync', async () => {
    fake.failOperation(REV);
    await port.sync('web', REV);
    expect((await watch(port, 'web', REV)).verdict.state).toBe('failed');
    fake.clearFailure(REV);
    fake.pickupMs = 100; // widen the window in which the old Failed state is still stored
    await port.sync('web', REV);
    const immediately = await port.getStatus('web');
    const contains = (r?: string) => (r ? r === REV : undefined);
    expect(evaluateHealth(immediately, { revision: REV, degradedForMs: 0, degradedGraceMs: 0, contains }).state).toBe(
      'waiting',
    );
    expect((await watch(port, 'web', REV)).verdict).toEqual({ state: 'healthy' });
  });

  it('keeps waiting while the app stays Missing', async () => {
    fake.stayMissing(REV);
    await port.sync('web', REV);
    const { verdict, last } = await watch(port, 'web', REV, { timeoutMs: 300 });
    expect(verdict.state).toBe('waiting');
    expect(last).toMatchObject({ health: 'Missing', syncRevision: REV, operationPhase: 'Succeeded' });
  });

  it('answers busy while another operation runs, never failing, and syncs once it is over', async () => {
    fake.startOperation('web', OTHER, { runningMs: 200 });
    expect(await port.sync('web', REV)).toMatchObject({ state: 'busy' });
    const over = Date.now() + 3_000;
    let outcome = await port.sync('web', REV);
    while (outcome.state === 'busy' && Date.now() < over) {
      await new Promise((r) => setTimeout(r, 20));
      outcome = await port.sync('web', REV);
    }
    expect(outcome.state).toBe('started');
    expect((await watch(port, 'web', REV)).verdict).toEqual({ state: 'healthy' });
    expect(fake.app('web').status.history.map((h) => h.revision)).toEqual([OTHER, REV]);
  });

  it('sends no revision when asked for none: the app syncs to its targetRevision', async () => {
    fake.resolveRevision = (r) => (r === 'main' ? REV : r);
    expect(await port.sync('web', {})).toMatchObject({ state: 'started' });
    expect((await watch(port, 'web', REV)).verdict).toEqual({ state: 'healthy' });
    expect(fake.app('web').status.operationState?.syncResult?.revision).toBe(REV);
  });

  it('reads an app in another namespace (apps in any namespace)', async () => {
    await fake.close();
    fake = new FakeArgoCd({ appNamespaces: ['team-a'] });
    await fake.listen();
    fake.addApp('web', { revision: OTHER, image: 'registry.example.com/web:1.0.0', namespace: 'team-a' });
    fake.images.set(REV, 'registry.example.com/web:1.1.0');
    const p = await driver.make(fake);
    const ref = { name: 'web', namespace: 'team-a' };
    expect(await p.sync(ref, REV)).toMatchObject({ state: 'started' });
    expect((await watch(p, ref as never, REV)).verdict).toEqual({ state: 'healthy' });
    expect(fake.syncRequests.map((r) => r.namespace)).toEqual(['team-a']);
    expect(p.appUrl(ref)).toBe('https://argocd.example.com/applications/team-a/web');
  });

  it('a sync window: blocked (REST 403) or held Running by the controller (Kubernetes), with when it opens', async () => {
    const now = new Date();
    fake.setSyncWindows('default', [
      {
        kind: 'deny',
        schedule: `${now.getUTCMinutes()} ${now.getUTCHours()} * * *`,
        duration: '2h',
        applications: ['*'],
      },
    ]);
    const outcome = await port.sync('web', REV);
    const until = await port.syncWindowEnd!('web');
    expect(Date.parse(until!)).toBeGreaterThan(now.getTime() + 3_600_000);
    if (driver.name === 'REST') {
      expect(outcome).toMatchObject({ state: 'blocked', message: 'Cannot sync: Blocked by sync window', until });
    } else {
      expect(outcome.state).toBe('started');
      await new Promise((r) => setTimeout(r, fake.pickupMs + fake.operationMs + 30));
      expect(await port.getStatus('web')).toMatchObject({
        operationPhase: 'Running',
        operationMessage: 'Sync operation blocked by sync window',
      });
    }
  });

  it('makes a bad token a permanent error that does not leak the token', async () => {
    const secret = 'sekret-token-value-123';
    const bad = await driver.make(fake, secret);
    for (const call of [() => bad.getStatus('web'), () => bad.sync('web', REV)]) {
      const err = await call().then(unexpected, (e: unknown) => e as Error);
      expect(err.name).toBe('PermanentArgoCdError');
      expect(err.message).toMatch(/401/);
      expect(err.message).not.toContain(secret);
      expect(err.message).not.toContain(fake.token);
    }
  });

  it('makes a missing application a permanent error', async () => {
    const err = await port.getStatus('nope').then(unexpected, (e: unknown) => e as Error);
    expect(err.name).toBe('PermanentArgoCdError');
    expect(err.message).toMatch(driver.name === 'REST' ? /403 permission denied/ : /404 .*"nope" not found/);
  });

  it('makes 5xx and dropped connections retryable errors', async () => {
    fake.http.inject({ kind: 'status', status: 503, body: { message: 'upstream unavailable' } });
    const unavailable = await port.getStatus('web').then(unexpected, (e: unknown) => e as Error);
    expect(unavailable.name).toBe('Error');
    expect(unavailable.message).toMatch(/503/);
    fake.http.inject({ kind: 'reset' });
    const reset = await port.getStatus('web').then(unexpected, (e: unknown) => e as Error);
    expect(reset.name).toBe('Error');
    expect(await port.getStatus('web')).toMatchObject({ health: 'Healthy', syncRevision: OTHER });
  });

  it('asks for a refresh when told to', async () => {
    await port.getStatus('web', { refresh: 'hard' });
    expect(fake.refreshes).toEqual([
      { application: 'web', kind: 'hard', via: driver.name === 'REST' ? 'rest' : 'kubernetes' },
    ]);
    await port.getStatus('web');
    expect(fake.refreshes).toHaveLength(1);
  });

  it('links to the application in the UI', () => {
    expect(port.appUrl('web')).toBe(
      driver.name === 'REST'
        ? 'https://argocd.example.com/applications/web'
        : 'https://argocd.example.com/applications/argocd/web',
    );
  });
});

describe.each(drivers)('$name driver, the window after an operation', (driver) => {
  // The controller reconciles a while after an operation ends; until then health is the old pods'.
  const BAD = 'badbadbadbadbadbadbadbadbadbadbadbadbad0';
  let slow: FakeArgoCd;
  let head: string;
  beforeEach(async () => {
    slow = new FakeArgoCd({
      reconcileAfterMs: 400,
      healthyAfterMs: 20,
      resolveRevision: (r) => (r === 'main' ? head : /^[0-9a-f]{40}$/.test(r) ? r : undefined),
      isBadImage: (image) => image.endsWith(':broken'),
    });
    await slow.listen();
    head = OTHER;
    slow.addApp('web', { revision: OTHER, image: 'registry.example.com/web:1.0.0' });
    slow.images.set(BAD, 'registry.example.com/web:broken');
    slow.images.set(REV, 'registry.example.com/web:1.0.1');
    // A broken release is out and Degraded; REV (its fix, or its rollback) is pushed next.
    head = BAD;
    const port = await driver.make(slow);
    await port.sync('web', BAD);
    const broken = await watch(port, 'web', BAD);
    expect(broken.verdict.state).toBe('failed');
    head = REV;
  });
  afterEach(async () => {
    await slow.close();
  });

  it('without reconciledAt >= finishedAt, the fix is failed on the broken pods; with it, it is healthy', async () => {
    const port = await driver.make(slow);
    // Argo CD's times have second precision, and equal counts as reconciled (upstream too): the operation
    // runs over a second, so the reconcile before its end carries an earlier second.
    slow.operationMs = 1_100;
    await port.sync('web', REV);
    const { verdict, seen, last } = await watch(port, 'web', REV);
    expect(verdict).toEqual({ state: 'healthy' });
    expect(last.reconciledAt! >= last.operationFinishedAt!).toBe(true);
    // The window: the fix's operation Succeeded, the health beside it is the broken pods'.
    const window = seen.filter((s) => s.operationPhase === 'Succeeded' && s.operationRevision === REV);
    const stale = window.filter((s) => s.health === 'Degraded');
    expect(stale.length).toBeGreaterThan(0);
    // A Runway from before the rule (the same statuses without the two times) failed the fix on them.
    const blind = stale.map(({ reconciledAt: _r, operationFinishedAt: _f, ...rest }) =>
      evaluateHealth(rest, {
        revision: REV,
        contains: (r) => (r ? r === REV : undefined),
        degradedForMs: 0,
        degradedGraceMs: 0,
      }),
    );
    expect(blind.map((v) => v.state)).toContain('failed');
    expect(slow.syncRequests.filter((r) => r.outcome === 200)).toHaveLength(2);
  });
});

describe('REST driver on the wire', () => {
  it('sends the documented sync request with a Bearer token', async () => {
    const port = createArgoCdApiClient({ url: `${fake.url}/`, token: fake.token });
    await port.sync('web', REV);
    const [sent] = fake.http.received('POST', /^\/api\/v1\/applications\/web\/sync$/);
    expect(sent!.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(JSON.parse(sent!.body)).toEqual({ name: 'web', revision: REV, prune: false, strategy: { hook: {} } });
    await port.getStatus('web', { refresh: 'normal' });
    expect(fake.http.received('GET').at(-1)!.query.get('refresh')).toBe('normal');
  });

  it('an auto-sync app refuses a revision with the real error (permanent) and accepts none', async () => {
    fake.addApp('auto', { revision: OTHER, image: 'registry.example.com/web:1.0.0', automated: true });
    const port = createArgoCdApiClient({ url: fake.url, token: fake.token });
    const err = await port.sync('auto', REV).then(unexpected, (e: unknown) => e as Error);
    expect(err.name).toBe('PermanentArgoCdError');
    expect(err.message).toContain(`HTTP 400 Cannot sync to ${REV}: auto-sync currently set to main`);
    const [refused] = fake.http.received('POST', /auto\/sync$/);
    expect(refused).toBeDefined();
    expect(fake.syncRequests.at(-1)?.outcome).toBe(400);
    fake.resolveRevision = (r) => (r === 'main' ? REV : r);
    expect(await port.sync('auto', {})).toMatchObject({ state: 'started' });
  });

  it('times out a hanging request with a retryable error', async () => {
    fake.http.inject({ kind: 'latency', ms: 500 });
    const port = createArgoCdApiClient({ url: fake.url, token: fake.token, timeoutMs: 50 });
    const err = await port.getStatus('web').then(unexpected, (e: unknown) => e as Error);
    expect(err.name).toBe('Error');
    expect(err.message).toMatch(/failed: .*(timeout|aborted)/i);
  });

  describe('insecureTls', () => {
    let dir: string | undefined;
    let server: ReturnType<typeof createServer> | undefined;
    let httpsUrl = '';

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'argocd-tls-'));
      try {
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-days',
            '1',
            '-subj',
            '/CN=localhost',
            '-keyout',
            join(dir, 'key.pem'),
            '-out',
            join(dir, 'cert.pem'),
          ],
          { stdio: 'ignore' },
        );
      } catch {
        return; // no openssl: the tests below skip themselves
      }
      // A self-signed HTTPS front that forwards to the fake.
      server = createServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (req, res) => {
          void fetch(fake.url + req.url!, { headers: { authorization: req.headers.authorization ?? '' } }).then(
            async (r) => {
              res.writeHead(r.status, { 'content-type': 'application/json' });
              res.end(await r.text());
            },
          );
        },
      );
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      httpsUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(() => {
      server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('accepts a self-signed certificate only when told to', async (ctx) => {
      if (!server) ctx.skip();
      const strict = await createArgoCdApiClient({ url: httpsUrl, token: fake.token })
        .getStatus('web')
        .then(unexpected, (e: unknown) => e as Error);
      expect(strict).toBeInstanceOf(Error);
      const lax = createArgoCdApiClient({ url: httpsUrl, token: fake.token, insecureTls: true });
      expect(await lax.getStatus('web')).toMatchObject({ health: 'Healthy', syncRevision: OTHER });
    });
  });
});

describe('Kubernetes driver on the wire', () => {
  it('sends a JSON merge patch with a resourceVersion precondition', async () => {
    const port = await drivers[1]!.make(fake);
    const before = fake.app('web').metadata.resourceVersion;
    await port.sync('web', REV);
    const [patch] = fake.http.received('PATCH', /\/namespaces\/argocd\/applications\/web$/);
    expect(patch!.headers['content-type']).toBe('application/merge-patch+json');
    expect(patch!.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(JSON.parse(patch!.body)).toEqual({
      metadata: { resourceVersion: before },
      operation: {
        initiatedBy: { username: 'runway' },
        sync: { revision: REV, prune: false, syncStrategy: { hook: {} } },
      },
    });
  });

  it('re-reads and retries when the app changed between GET and PATCH (409)', async () => {
    const port = await drivers[1]!.make(fake);
    fake.http.inject(
      {
        kind: 'status',
        status: 409,
        body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409 },
      },
      { method: 'PATCH' },
    );
    await port.sync('web', REV);
    expect(fake.http.received('PATCH')).toHaveLength(2);
    expect(fake.http.received('GET').length).toBeGreaterThanOrEqual(2);
    expect((await watch(port, 'web', REV)).verdict).toEqual({ state: 'healthy' });
  });

  it('refreshes through the annotation, which the controller then removes', async () => {
    const port = await drivers[1]!.make(fake);
    await port.getStatus('web', { refresh: 'normal' });
    const [patch] = fake.http.received('PATCH');
    expect(patch!.headers['content-type']).toBe('application/merge-patch+json');
    expect(JSON.parse(patch!.body)).toEqual({ metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } });
    await new Promise((r) => setTimeout(r, fake.pickupMs + 30));
    expect(fake.app('web').metadata.annotations?.['argocd.argoproj.io/refresh']).toBeUndefined();
  });
});

describe('fake Argo CD, Kubernetes route', () => {
  const path = '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/web';
  const patch = (type: string, body: unknown): Promise<Response> =>
    fetch(fake.url + path, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${fake.token}`, 'content-type': type },
      body: JSON.stringify(body),
    });

  it('applies RFC 7386: null deletes, objects merge', async () => {
    const res = await patch('application/merge-patch+json', {
      metadata: { labels: { a: '1' } },
      spec: { project: null },
    });
    expect(res.status).toBe(200);
    const app = fake.app('web');
    expect((app.metadata as { labels?: unknown }).labels).toEqual({ a: '1' });
    expect(app.spec.project).toBeUndefined();
    expect(app.spec.source).toBeDefined();
  });

  it('refuses strategic merge with 415 and a merge body sent as a JSON patch with 400', async () => {
    const strategic = await patch('application/strategic-merge-patch+json', { metadata: {} });
    expect(strategic.status).toBe(415);
    expect(await strategic.json()).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
    const wrong = await patch('application/json-patch+json', { operation: {} });
    expect(wrong.status).toBe(400);
  });

  it('applies JSON patches and checks resourceVersion preconditions', async () => {
    const res = await patch('application/json-patch+json', [
      { op: 'add', path: '/metadata/labels', value: { b: '2' } },
    ]);
    expect(res.status).toBe(200);
    const stale = await patch('application/merge-patch+json', { metadata: { resourceVersion: '1' } });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ reason: 'Conflict', details: { name: 'web' } });
  });

  it('answers a missing app with a NotFound Status', async () => {
    const res = await fetch(`${fake.url}/apis/argoproj.io/v1alpha1/namespaces/other/applications/web`, {
      headers: { authorization: `Bearer ${fake.token}` },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
  });
});
