// A token service for distribution's `auth: token:` mode: it hands out RS256 JWTs whose `access`
// claim grants what the `scope` parameter asks for, signed with a key whose self-signed certificate
// the registry trusts (rootcertbundle). distribution 2.8 (Debian bookworm) finds the key through the
// JWT header's `kid`, which must be the libtrust key id of that public key.
import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, createSign, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HttpFake, type FakeRequest, type FakeResponse, type RecordedRequest } from './http-fake.js';
import { ensureAptBinary } from '../test/support/apt.js';

const run = promisify(execFile);

export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenServerOptions {
  service: string;
  issuer: string;
  /** When set, token requests must carry these as Basic auth; without, anyone gets a token. */
  username?: string;
  password?: string;
  expiresInSeconds?: number;
}

export interface TokenServer {
  /** The realm to put in the registry config. */
  realm: string;
  certPath: string;
  /** Token requests received over HTTP (minted tokens are not counted). */
  requests(): RecordedRequest[];
  /** Signs a token directly, e.g. with push rights for test setup. */
  mint(access: TokenAccess[], subject?: string): string;
  close(): Promise<void>;
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** libtrust's key id: sha256 of the DER public key, first 240 bits, base32 in 12 colon-separated groups. */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const bytes = createHash('sha256').update(der).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  let encoded = '';
  for (let i = 0; i < bits.length; i += 5) encoded += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return encoded.match(/.{4}/g)!.join(':');
}

function parseScopes(values: string[]): TokenAccess[] {
  return values.flatMap((value) =>
    value.split(' ').flatMap((scope) => {
      // `repository:group/app:pull,push`; the name itself never holds a colon in our tests.
      const m = /^([^:]+):(.+):([^:]*)$/.exec(scope);
      return m ? [{ type: m[1]!, name: m[2]!, actions: m[3]!.split(',').filter(Boolean) }] : [];
    }),
  );
}

export async function startTokenServer(dir: string, options: TokenServerOptions): Promise<TokenServer> {
  await ensureAptBinary('/usr/bin/openssl', 'openssl');
  const keyPath = join(dir, 'token-key.pem');
  const certPath = join(dir, 'token-cert.pem');
  // prettier-ignore
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=runway-test-token-issuer', '-keyout', keyPath, '-out', certPath,
  ]);
  const privateKey = createPrivateKey(readFileSync(keyPath));
  const kid = libtrustKeyId(createPublicKey(privateKey));
  const expiresIn = options.expiresInSeconds ?? 300;

  const mint = (access: TokenAccess[], subject = options.username ?? 'anonymous'): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid }));
    const claims = base64url(
      JSON.stringify({
        iss: options.issuer,
        sub: subject,
        aud: options.service,
        iat: now,
        nbf: now - 10,
        exp: now + expiresIn,
        jti: randomUUID(),
        access,
      }),
    );
    const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(privateKey);
    return `${header}.${claims}.${base64url(signature)}`;
  };

  const expected = options.username
    ? `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`
    : undefined;
  const fake = new HttpFake('registry-token');
  fake.route('GET', '/token', (req: FakeRequest): FakeResponse => {
    if (expected && req.headers.authorization !== expected) {
      return { status: 401, body: { details: 'incorrect username or password' } };
    }
    if (req.query.get('service') !== options.service) return { status: 400, body: { details: 'unknown service' } };
    const token = mint(parseScopes(req.query.getAll('scope')));
    return { status: 200, body: { token, expires_in: expiresIn, issued_at: new Date().toISOString() } };
  });
  const url = await fake.listen();

  return {
    realm: `${url}/token`,
    certPath,
    requests: () => fake.received('GET', /^\/token$/),
    mint,
    close: () => fake.close(),
  };
}
