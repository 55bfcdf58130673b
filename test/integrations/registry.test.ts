// The registry client against Debian's real distribution registry (anonymous, htpasswd and token
// auth), plus HttpFake registries for what a local registry cannot show: 5xx/429, Docker Hub's
// `access_token`, HEAD 405 and a missing Docker-Content-Digest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpFake, type FakeResponse } from '../../fakes/http-fake.js';
import { startDockerRegistry, type DockerRegistry } from '../support/docker-registry.js';
import type { PushedImage } from '../support/registry-push.js';
import {
  createRegistryClient,
  InvalidImageReferenceError,
  RegistryAuthError,
  RegistryError,
  splitRepository,
} from '../../integrations/registry.js';
import { validateDigest, validateTag } from '../../integrations/image-reference.js';
import { TokenCache } from '../../integrations/registry-token.js';
import { parseWwwAuthenticate } from '../../integrations/www-authenticate.js';

// The first start may apt-get install docker-registry / apache2-utils.
const INSTALL_TIMEOUT_MS = 300_000;
const MISSING_DIGEST = `sha256:${'0'.repeat(64)}`;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('splitRepository', () => {
  it.each([
    ['nginx', 'registry-1.docker.io', 'library/nginx'],
    ['docker.io/library/nginx', 'registry-1.docker.io', 'library/nginx'],
    ['docker.io/nginx', 'registry-1.docker.io', 'library/nginx'],
    ['index.docker.io/bitnami/redis', 'registry-1.docker.io', 'bitnami/redis'],
    ['bitnami/redis', 'registry-1.docker.io', 'bitnami/redis'],
    ['ghcr.io/org/app', 'ghcr.io', 'org/app'],
    ['localhost:5000/app', 'localhost:5000', 'app'],
    ['localhost/app', 'localhost', 'app'],
    ['registry.gitlab.com/group/sub/app', 'registry.gitlab.com', 'group/sub/app'],
    ['harbor.example.com:8443/proj/my_app-x', 'harbor.example.com:8443', 'proj/my_app-x'],
  ])('%s → %s + %s', (repository, host, name) => {
    expect(splitRepository(repository)).toEqual({ host, name });
  });

  it.each(['nginx:1.25', 'ghcr.io/Org/App', 'https://ghcr.io/org/app', 'ghcr.io/org//app', 'ghcr.io/org/app-', ''])(
    'rejects %j as InvalidImageReference',
    (repository) => {
      expect(() => splitRepository(repository)).toThrow(InvalidImageReferenceError);
    },
  );

  it('validates tags and digests', () => {
    expect(() => validateTag('v1.2.3_rc-1')).not.toThrow();
    for (const bad of ['-x', '.x', 'a'.repeat(129), 'a/b', '']) {
      expect(() => validateTag(bad), bad).toThrow(expect.objectContaining({ name: 'InvalidImageReference' }));
    }
    expect(() => validateDigest(MISSING_DIGEST)).not.toThrow();
    expect(() => validateDigest('sha256:abc')).toThrow(InvalidImageReferenceError);
    expect(() => validateDigest('latest')).toThrow(InvalidImageReferenceError);
  });
});

describe('parseWwwAuthenticate', () => {
  it('keeps commas inside quoted values', () => {
    const header =
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"';
    expect(parseWwwAuthenticate(header)).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:samalba/my-app:pull,push',
        },
      },
    ]);
  });

  it('reads several challenges, unquoted values, escapes and spacing', () => {
    const header =
      'Basic realm="a \\"b\\"", Bearer  Realm = https://x/jwt/auth , service=container_registry,error="invalid_token"';
    expect(parseWwwAuthenticate(header)).toEqual([
      { scheme: 'basic', params: { realm: 'a "b"' } },
      {
        scheme: 'bearer',
        params: { realm: 'https://x/jwt/auth', service: 'container_registry', error: 'invalid_token' },
      },
    ]);
  });

  it('reads token68 and bare schemes', () => {
    expect(parseWwwAuthenticate('Negotiate abc+/==, Basic')).toEqual([
      { scheme: 'negotiate', params: {}, token68: 'abc+/==' },
      { scheme: 'basic', params: {} },
    ]);
    expect(parseWwwAuthenticate('')).toEqual([]);
    expect(parseWwwAuthenticate('Bearer realm="unterminated')).toEqual([
      { scheme: 'bearer', params: { realm: 'unterminated' } },
    ]);
  });
});

describe('TokenCache', () => {
  it('keeps tokens until expires_in minus a margin', () => {
    let now = 0;
    const cache = new TokenCache(() => now);
    cache.set('k', 't', 60);
    now = 49_000;
    expect(cache.get('k')).toBe('t');
    now = 50_001;
    expect(cache.get('k')).toBeUndefined();
  });
});

describe('real registry, anonymous', () => {
  let registry: DockerRegistry;
  let oci: PushedImage;
  let docker: PushedImage;
  const client = () => createRegistryClient({ insecureHosts: [registry.host] });

  beforeAll(async () => {
    registry = await startDockerRegistry();
    oci = await registry.push('runway/app', '1.0.0');
    docker = await registry.push('runway/app', 'docker-v2', { format: 'docker' });
  }, INSTALL_TIMEOUT_MS);
  afterAll(async () => registry?.stop());

  it('finds an existing OCI tag with the pushed manifest digest', async () => {
    const found = await client().imageExists({ repository: `${registry.host}/runway/app`, tag: '1.0.0' });
    expect(found).toEqual({ exists: true, digest: oci.digest });
  });

  it('finds a Docker v2 schema2 tag with its digest', async () => {
    const found = await client().imageExists({ repository: `${registry.host}/runway/app`, tag: 'docker-v2' });
    expect(found).toEqual({ exists: true, digest: docker.digest });
  });

  it('reports a missing tag and a missing repository as not existing', async () => {
    const c = client();
    expect(await c.imageExists({ repository: `${registry.host}/runway/app`, tag: '9.9.9' })).toEqual({ exists: false });
    expect(await c.imageExists({ repository: `${registry.host}/nobody/here`, tag: '1.0.0' })).toEqual({
      exists: false,
    });
  });

  it('looks up by digest, which wins over the tag', async () => {
    const c = client();
    const repository = `${registry.host}/runway/app`;
    expect(await c.imageExists({ repository, tag: 'whatever', digest: oci.digest })).toEqual({
      exists: true,
      digest: oci.digest,
    });
    expect(await c.imageExists({ repository, tag: '1.0.0', digest: MISSING_DIGEST })).toEqual({ exists: false });
  });

  it('rejects invalid references before any request', async () => {
    const err = await rejection(client().imageExists({ repository: `${registry.host}/runway/App`, tag: '1' }));
    expect(err.name).toBe('InvalidImageReference');
    const badTag = await rejection(client().imageExists({ repository: `${registry.host}/runway/app`, tag: '../x' }));
    expect(badTag.name).toBe('InvalidImageReference');
  });

  it('turns a refused connection into a retryable RegistryError', async () => {
    await registry.stop();
    const err = await rejection(client().imageExists({ repository: `${registry.host}/runway/app`, tag: '1.0.0' }));
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toMatch(/unreachable/);
    registry = await startDockerRegistry();
  });
});

describe('real registry, htpasswd Basic auth', () => {
  let registry: DockerRegistry;
  let pushed: PushedImage;
  const password = 's3cret-pa55word';

  beforeAll(async () => {
    registry = await startDockerRegistry({ kind: 'htpasswd', username: 'ci', password });
    pushed = await registry.push('team/svc', 'v1');
  }, INSTALL_TIMEOUT_MS);
  afterAll(async () => registry?.stop());

  const client = (pw?: string) =>
    createRegistryClient({
      insecureHosts: [registry.host],
      credentials: pw === undefined ? [] : [{ host: registry.host, username: 'ci', password: pw }],
    });

  it('works with the right credentials, also on later calls', async () => {
    const c = client(password);
    const image = { repository: `${registry.host}/team/svc`, tag: 'v1' };
    expect(await c.imageExists(image)).toEqual({ exists: true, digest: pushed.digest });
    expect(await c.imageExists(image)).toEqual({ exists: true, digest: pushed.digest });
    expect(await c.imageExists({ ...image, tag: 'v2' })).toEqual({ exists: false });
  });

  it('throws RegistryAuthError for wrong or missing credentials, without leaking the password', async () => {
    const wrong = await rejection(
      client('wrong-password-xyz').imageExists({ repository: `${registry.host}/team/svc`, tag: 'v1' }),
    );
    expect(wrong).toBeInstanceOf(RegistryAuthError);
    expect(wrong.name).toBe('RegistryAuthError');
    expect(wrong.message).not.toContain('wrong-password-xyz');
    const none = await rejection(client().imageExists({ repository: `${registry.host}/team/svc`, tag: 'v1' }));
    expect(none.name).toBe('RegistryAuthError');
  });
});

describe('real registry, Bearer token auth', () => {
  let registry: DockerRegistry;
  let pushed: PushedImage;
  const password = 'deploy-token-value';

  beforeAll(async () => {
    registry = await startDockerRegistry({ kind: 'token', username: 'gitlab-deploy', password });
    pushed = await registry.push('group/sub/app', '2.0.0');
  }, INSTALL_TIMEOUT_MS);
  afterAll(async () => registry?.stop());

  const client = (pw: string) =>
    createRegistryClient({
      insecureHosts: [registry.host],
      credentials: [{ host: registry.host, username: 'gitlab-deploy', password: pw }],
    });

  it('answers the Bearer challenge and caches the token per repository scope', async () => {
    const c = client(password);
    const before = registry.tokenServer!.requests().length;
    const image = { repository: `${registry.host}/group/sub/app`, tag: '2.0.0' };
    expect(await c.imageExists(image)).toEqual({ exists: true, digest: pushed.digest });
    expect(await c.imageExists(image)).toEqual({ exists: true, digest: pushed.digest });
    expect(await c.imageExists({ ...image, tag: 'nope' })).toEqual({ exists: false });
    const requests = registry.tokenServer!.requests().slice(before);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.query.get('scope')).toBe('repository:group/sub/app:pull');
    expect(requests[0]!.query.get('service')).toBe('runway-test-registry');

    expect(await c.imageExists({ repository: `${registry.host}/group/other`, tag: '1' })).toEqual({ exists: false });
    expect(registry.tokenServer!.requests().length - before).toBe(2);
  });

  it('throws RegistryAuthError when the token service rejects the credentials', async () => {
    const err = await rejection(
      client('not-it').imageExists({ repository: `${registry.host}/group/sub/app`, tag: '2.0.0' }),
    );
    expect(err.name).toBe('RegistryAuthError');
    expect(err.message).not.toContain('not-it');
  });
});

describe('fake registries', () => {
  const fake = new HttpFake('registry');
  let host: string;
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
  const digest = 'sha256:' + 'ab'.repeat(32);

  beforeAll(async () => {
    host = new URL(await fake.listen()).host;
    fake.route('GET', '/token', (req) =>
      req.headers.authorization === `Basic ${Buffer.from('hub-user:hub-pass').toString('base64')}`
        ? { status: 200, body: { access_token: 'hub-token', expires_in: 300 } }
        : { status: 401, body: { details: 'incorrect username or password' } },
    );
    fake.route('HEAD', '/v2/:name*/manifests/:ref', (req, params): FakeResponse => {
      if (params.name === 'odd/head') return { status: 405 };
      if (params.name === 'hub/app' && req.headers.authorization !== 'Bearer hub-token') {
        return {
          status: 401,
          headers: {
            'WWW-Authenticate': `Bearer realm="http://${host}/token",service="registry.docker.io",scope="repository:hub/app:pull,push"`,
          },
        };
      }
      return { status: 200, headers: { 'Docker-Content-Digest': digest } };
    });
    fake.route('GET', '/v2/:name*/manifests/:ref', () => ({
      status: 200,
      body: manifest,
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    }));
  });
  afterAll(async () => fake.close());

  const client = (password = 'hub-pass') =>
    createRegistryClient({
      insecureHosts: [host],
      credentials: [{ host, username: 'hub-user', password }],
      timeoutMs: 2000,
    });

  it.each([503, 500, 429])('HTTP %i is a retryable RegistryError with the status', async (status) => {
    fake.inject({ kind: 'status', status }, { method: 'HEAD', path: /\/v2\/plain\/app\// });
    const err = await rejection(client().imageExists({ repository: `${host}/plain/app`, tag: '1' }));
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).not.toBeInstanceOf(RegistryAuthError);
    expect((err as RegistryError).status).toBe(status);
  });

  it('a 5xx from the token service is retryable too', async () => {
    fake.inject({ kind: 'status', status: 502 }, { method: 'GET', path: '/token' });
    const err = await rejection(client().imageExists({ repository: `${host}/hub/app`, tag: '1' }));
    expect(err).toBeInstanceOf(RegistryError);
  });

  it('answers a Docker Hub-style challenge whose token response has only access_token', async () => {
    const before = fake.received('GET', /^\/token$/).length;
    const c = client();
    expect(await c.imageExists({ repository: `${host}/hub/app`, tag: '1' })).toEqual({ exists: true, digest });
    expect(await c.imageExists({ repository: `${host}/hub/app`, tag: '2' })).toEqual({ exists: true, digest });
    const tokenRequests = fake.received('GET', /^\/token$/).slice(before);
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]!.query.get('scope')).toBe('repository:hub/app:pull');
    expect(tokenRequests[0]!.query.get('service')).toBe('registry.docker.io');
    const heads = fake.received('HEAD', /\/v2\/hub\/app\//);
    expect(heads.at(-1)!.headers.accept).toContain('application/vnd.oci.image.index.v1+json');
    expect(heads.at(-1)!.headers.accept).toContain('application/vnd.docker.distribution.manifest.v2+json');
  });

  it('wrong credentials at the token service are a RegistryAuthError without the password', async () => {
    const err = await rejection(client('hunter2-wrong').imageExists({ repository: `${host}/hub/app`, tag: '1' }));
    expect(err.name).toBe('RegistryAuthError');
    expect(err.message).not.toContain('hunter2-wrong');
  });

  it('falls back to GET on HEAD 405 and hashes the manifest when the digest header is missing', async () => {
    const found = await client().imageExists({ repository: `${host}/odd/head`, tag: '1' });
    const { createHash } = await import('node:crypto');
    expect(found).toEqual({ exists: true, digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}` });
    expect(fake.received('GET', /\/v2\/odd\/head\/manifests\/1$/)).toHaveLength(1);
  });

  it('a timeout is a retryable RegistryError', async () => {
    fake.inject({ kind: 'latency', ms: 500 }, { method: 'HEAD', path: /\/v2\/slow\/app\// });
    const c = createRegistryClient({ insecureHosts: [host], timeoutMs: 100 });
    const err = await rejection(c.imageExists({ repository: `${host}/slow/app`, tag: '1' }));
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toMatch(/timed out/);
  });
});
