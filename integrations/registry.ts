// RegistryPort over the OCI distribution API: HEAD /v2/<name>/manifests/<ref>, answering the
// registry's 401 challenge (Bearer token exchange or Basic) once. Works against Docker Hub, GHCR,
// GitLab (realm /jwt/auth, service container_registry), Harbor and the plain distribution registry.
import { createHash } from 'node:crypto';
import type { RegistryPort } from '../activities/ports.js';
import type { ImageRef } from '../domain/types.js';
import { PermanentError } from '../domain/errors.js';
import {
  canonicalRegistryHost,
  splitRepository,
  validateDigest,
  validateTag,
  type ImageLocation,
} from './image-reference.js';
import { describeFetchFailure, RegistryAuthError, RegistryError } from './registry-errors.js';
import { fetchBearerToken, TokenCache } from './registry-token.js';
import { parseWwwAuthenticate, type AuthChallenge } from './www-authenticate.js';

export { RegistryAuthError, RegistryError } from './registry-errors.js';
export { InvalidImageReferenceError, splitRepository } from './image-reference.js';

export interface RegistryCredentials {
  /** Registry host as written in image names (`registry.gitlab.com`, `docker.io`, `localhost:5000`). */
  host: string;
  username?: string;
  password?: string;
  /** A static bearer token, sent as is instead of the token exchange. */
  token?: string;
}

export interface RegistryClientOptions {
  credentials?: RegistryCredentials[];
  /** Hosts spoken to over plain http (local and test registries). */
  insecureHosts?: string[];
  /** Per request; default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

// Every manifest type we accept; without them some registries convert to schema1 and the digest changes.
const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

type Authorization = { kind: 'none' | 'static' | 'cached' | 'basic' | 'bearer'; header?: string };

function normalizeHost(host: string): string {
  return canonicalRegistryHost(host.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, ''));
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

export class RegistryClient implements RegistryPort {
  private readonly credentials: Map<string, RegistryCredentials>;
  private readonly insecure: Set<string>;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly tokens = new TokenCache();
  /** Hosts that asked for Basic once: later requests send it up front and save a round trip. */
  private readonly basicHosts = new Set<string>();

  constructor(options: RegistryClientOptions = {}) {
    this.credentials = new Map((options.credentials ?? []).map((c) => [normalizeHost(c.host), c]));
    this.insecure = new Set((options.insecureHosts ?? []).map(normalizeHost));
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchFn = options.fetch ?? fetch;
  }

  async imageExists(image: ImageRef): Promise<{ exists: boolean; digest?: string }> {
    const location = splitRepository(image.repository);
    if (image.digest) validateDigest(image.digest);
    if (image.tag || !image.digest) validateTag(image.tag);
    const reference = image.digest ?? image.tag;
    const scope = `repository:${location.name}:pull`;
    const cacheKey = `${location.host} ${scope}`;
    const what = `${location.host}/${location.name}@${reference}`;

    let auth = this.initialAuthorization(location.host, cacheKey);
    let response = await this.manifest(location, reference, auth, what);
    if (response.status === 401 && auth.kind !== 'static') {
      const challenges = parseWwwAuthenticate(response.headers.get('www-authenticate'));
      await discard(response);
      this.tokens.delete(cacheKey);
      auth = await this.answerChallenge(location, scope, cacheKey, challenges);
      response = await this.manifest(location, reference, auth, what);
    }

    switch (response.status) {
      case 200:
        return { exists: true, digest: await this.digestOf(response, location, reference, auth, what, image.digest) };
      case 404:
        await discard(response);
        return { exists: false };
      case 401:
      case 403:
        await discard(response);
        throw new RegistryAuthError(
          `registry ${location.host} refused pull access to ${location.name} (HTTP ${response.status}` +
            `${auth.kind === 'none' ? ', no credentials' : ''}); check the credentials, or the repository may not exist`,
          response.status,
        );
    }
    await discard(response);
    if (response.status === 429 || response.status === 408 || response.status >= 500) {
      throw new RegistryError(
        `registry ${location.host} failed for ${what} with HTTP ${response.status}`,
        response.status,
      );
    }
    throw new PermanentError(`registry ${location.host} answered HTTP ${response.status} for ${what}`);
  }

  private initialAuthorization(host: string, cacheKey: string): Authorization {
    const creds = this.credentials.get(host);
    if (creds?.token) return { kind: 'static', header: `Bearer ${creds.token}` };
    const cached = this.tokens.get(cacheKey);
    if (cached) return { kind: 'cached', header: `Bearer ${cached}` };
    const basic = this.basicHeader(host);
    if (basic && this.basicHosts.has(host)) return { kind: 'basic', header: basic };
    return { kind: 'none' };
  }

  private basicHeader(host: string): string | undefined {
    const creds = this.credentials.get(host);
    if (creds?.username === undefined || creds.password === undefined) return undefined;
    return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
  }

  private async answerChallenge(
    location: ImageLocation,
    scope: string,
    cacheKey: string,
    challenges: AuthChallenge[],
  ): Promise<Authorization> {
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    if (bearer) {
      const { token, expiresInSeconds } = await fetchBearerToken(
        this.fetchFn,
        {
          realm: bearer.params.realm!,
          service: bearer.params.service,
          // Our own pull scope, not the challenge's: it may ask for push, which we neither need nor have.
          scope,
          basicAuthorization: this.basicHeader(location.host),
          allowInsecure: this.insecure.has(location.host),
        },
        this.timeoutMs,
      );
      this.tokens.set(cacheKey, token, expiresInSeconds);
      return { kind: 'bearer', header: `Bearer ${token}` };
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      const basic = this.basicHeader(location.host);
      if (!basic) {
        throw new RegistryAuthError(
          `registry ${location.host} requires credentials (Basic) and none are configured`,
          401,
        );
      }
      this.basicHosts.add(location.host);
      return { kind: 'basic', header: basic };
    }
    throw new RegistryAuthError(
      `registry ${location.host} answered 401 without a usable WWW-Authenticate challenge`,
      401,
    );
  }

  /** HEAD the manifest; some registries reject HEAD with 405, so GET instead then. */
  private async manifest(location: ImageLocation, reference: string, auth: Authorization, what: string) {
    const response = await this.send('HEAD', location, reference, auth, what);
    if (response.status !== 405) return response;
    await discard(response);
    return this.send('GET', location, reference, auth, what);
  }

  private async send(
    method: 'HEAD' | 'GET',
    location: ImageLocation,
    reference: string,
    auth: Authorization,
    what: string,
  ): Promise<Response> {
    const scheme = this.insecure.has(location.host) ? 'http' : 'https';
    const url = `${scheme}://${location.host}/v2/${location.name}/manifests/${reference}`;
    const headers: Record<string, string> = { Accept: MANIFEST_ACCEPT };
    if (auth.header) headers.Authorization = auth.header;
    try {
      return await this.fetchFn(url, { method, headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new RegistryError(
        `registry ${location.host} unreachable for ${what}: ${describeFetchFailure(err, this.timeoutMs)}`,
      );
    }
  }

  /** Docker-Content-Digest, or — for old registries that omit it — the sha256 of the manifest bytes. */
  private async digestOf(
    response: Response,
    location: ImageLocation,
    reference: string,
    auth: Authorization,
    what: string,
    requested: string | undefined,
  ): Promise<string | undefined> {
    const header = response.headers.get('docker-content-digest');
    if (header) {
      await discard(response);
      return header;
    }
    if (requested) {
      await discard(response);
      return requested;
    }
    let body = response;
    if (response.body === null) body = await this.send('GET', location, reference, auth, what);
    if (body.status !== 200) {
      await discard(body);
      return undefined;
    }
    return `sha256:${createHash('sha256')
      .update(Buffer.from(await body.arrayBuffer()))
      .digest('hex')}`;
  }
}

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryPort {
  return new RegistryClient(options);
}
