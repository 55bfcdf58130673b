// Bearer token exchange of the distribution token-auth spec: GET <realm>?service=…&scope=…, optionally
// with Basic credentials, answering `{token | access_token, expires_in?}`. Tokens are cached per
// (registry host, scope) so a release checking the same image twice does not hit the auth service twice.
import { describeFetchFailure, RegistryAuthError, RegistryError } from './registry-errors.js';

const DEFAULT_EXPIRES_IN_S = 60;
/** Tokens are dropped this much before they expire, so a request never races the expiry. */
const MAX_EXPIRY_MARGIN_MS = 10_000;

export interface TokenRequest {
  realm: string;
  service?: string;
  scope: string;
  /** `Basic …` header value, when the host has credentials. */
  basicAuthorization?: string;
  /** Whether plain-http realms may receive the credentials (the registry itself is plain http). */
  allowInsecure: boolean;
}

export class TokenCache {
  private readonly entries = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) return entry.token;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, token: string, expiresInSeconds: number): void {
    const ttl = expiresInSeconds * 1000;
    const expiresAt = this.now() + ttl - Math.min(MAX_EXPIRY_MARGIN_MS, ttl / 4);
    for (const [k, e] of this.entries) if (e.expiresAt <= this.now()) this.entries.delete(k);
    this.entries.set(key, { token, expiresAt });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

/** Realm without query or credentials, safe for error messages. */
function describeRealm(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function parseRealm(realm: string): URL {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new RegistryAuthError(`registry announced an invalid token realm`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RegistryAuthError(`registry announced a token realm with unsupported scheme ${url.protocol}`);
  }
  return url;
}

export async function fetchBearerToken(
  fetchFn: typeof fetch,
  request: TokenRequest,
  timeoutMs: number,
): Promise<{ token: string; expiresInSeconds: number }> {
  const url = parseRealm(request.realm);
  if (request.service) url.searchParams.set('service', request.service);
  url.searchParams.set('scope', request.scope);
  const where = describeRealm(url);
  if (request.basicAuthorization && url.protocol === 'http:' && !request.allowInsecure) {
    throw new RegistryAuthError(`refusing to send registry credentials to non-TLS token realm ${where}`);
  }

  let response: Response;
  try {
    response = await fetchFn(url, {
      headers: request.basicAuthorization ? { Authorization: request.basicAuthorization } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new RegistryError(`token service ${where} unreachable: ${describeFetchFailure(err, timeoutMs)}`);
  }

  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    const how = request.basicAuthorization ? 'rejected the configured credentials' : 'requires credentials';
    throw new RegistryAuthError(`token service ${where} ${how} (HTTP ${response.status})`, response.status);
  }
  if (response.status === 429 || response.status === 408 || response.status >= 500) {
    await response.body?.cancel();
    throw new RegistryError(`token service ${where} failed with HTTP ${response.status}`, response.status);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new RegistryAuthError(`token service ${where} answered HTTP ${response.status}`, response.status);
  }

  let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new RegistryError(`token service ${where} answered with invalid JSON`);
  }
  const token = typeof body?.token === 'string' && body.token ? body.token : body?.access_token;
  if (typeof token !== 'string' || !token) {
    throw new RegistryAuthError(`token service ${where} answered without a token`);
  }
  const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_EXPIRES_IN_S;
  return { token, expiresInSeconds: expiresIn };
}
